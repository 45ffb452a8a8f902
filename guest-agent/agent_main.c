/*
 * guest-agent/agent_main.c: entry point of xres-agent.
 */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "xres-agent: not built yet\n");
    return 1;
}
