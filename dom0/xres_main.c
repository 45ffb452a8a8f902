/*
 * dom0/xres_main.c: entry point of xres, the command.
 */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "xres: not built yet\n");
    return 1;
}
