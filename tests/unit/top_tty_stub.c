/*
 * tests/unit/top_tty_stub.c: the unit tests' stand-in for `xres top`'s
 * terminal (dom0/cli/top_curses.c, which only xres links, with ncurses).
 * There is no screen here: opening it fails as it does without a tty.
 */
#include <errno.h>
#include <stdio.h>

#include "top_curses.h"

int xres_top_tty_open(char *err, size_t errlen)
{
    snprintf(err, errlen, "no terminal in the unit tests");
    return -ENOTTY;
}

void xres_top_tty_size(int *w, int *h)
{
    *w = 80;
    *h = 24;
}

void xres_top_tty_draw(const xres_top_frame *f)
{
    (void)f;
}

int xres_top_tty_key(int timeout_ms)
{
    (void)timeout_ms;
    return 'q';
}

void xres_top_tty_close(void)
{
}
