/*
 * dom0/cli/top_curses.c: `xres top`'s terminal, with ncurses.  It only
 * copies the lines of a frame that top_view.c laid out, and reads keys;
 * everything shown is decided elsewhere.
 */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "top_curses.h"

static SCREEN *screen;

int xres_top_tty_open(char *err, size_t errlen)
{
    const char *term = getenv("TERM");

    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "not a terminal (use -b for batch output)");
        return -ENOTTY;
    }
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        snprintf(err, errlen, "cannot use terminal type `%s'",
                 term ? term : "");
        return -EINVAL;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    return 0;
}

void xres_top_tty_size(int *w, int *h)
{
    *w = COLS;
    *h = LINES;
}

void xres_top_tty_draw(const xres_top_frame *f)
{
    erase();
    for (int i = 0; i < f->used && i < LINES; i++)
        mvaddnstr(i, 0, xres_top_frame_line(f, i), COLS);
    refresh();
}

int xres_top_tty_key(int timeout_ms)
{
    int ch;

    timeout(timeout_ms);
    ch = getch();
    if (ch == ERR) return XRES_TOP_KEY_NONE;
    if (ch == KEY_RESIZE) return XRES_TOP_KEY_RESIZE;
    return ch;
}

void xres_top_tty_close(void)
{
    if (!screen) return;
    endwin();
    delscreen(screen);
    screen = NULL;
}
