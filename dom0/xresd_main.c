/*
 * dom0/xresd_main.c: entry point of xresd, the xres daemon.
 */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "xresd: not built yet\n");
    return 1;
}
