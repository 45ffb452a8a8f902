/*
 * dom0/cli/top_curses.h: the terminal of `xres top`: open, draw a frame,
 * read a key, close.  Implemented with ncurses in top_curses.c, which is
 * linked into xres only; the unit tests link tests/unit/top_tty_stub.c.
 */
#ifndef XRES_TOP_CURSES_H
#define XRES_TOP_CURSES_H

#include <stddef.h>

#include "top_view.h"

/* What xres_top_tty_key returns besides a key. */
#define XRES_TOP_KEY_NONE (-1)      /* the time ran out */
#define XRES_TOP_KEY_RESIZE (-2)    /* the terminal changed size */

/* Takes the screen.  0, or -ENOTTY / -EINVAL with err set. */
int xres_top_tty_open(char *err, size_t errlen);
/* The screen's columns and lines. */
void xres_top_tty_size(int *w, int *h);
void xres_top_tty_draw(const xres_top_frame *f);
/* Waits at most timeout_ms for a key. */
int xres_top_tty_key(int timeout_ms);
/* Gives the screen back as it was. */
void xres_top_tty_close(void);

#endif
