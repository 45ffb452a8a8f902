/*
 * tests/guest/jsonflat.c: strict JSON validator and flattener for system
 * tests (dom0 and guests have no python).  Reads one JSON value from FILE
 * (or stdin), checks it is valid JSON (RFC 8259) with nothing after it, and
 * prints one "path<TAB>value" line per scalar: object members as .name,
 * array elements as .N, e.g. "domains.1.cur_kb<TAB>131072".  Strings are
 * printed decoded (\uXXXX as UTF-8; control characters as '?'), null as
 * "null", booleans as "true"/"false", numbers as written.
 * Exit status: 0 valid, 1 invalid (with the byte offset), 2 usage/IO error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_PATH 4096

typedef struct {
    const char *s;
    size_t len, pos;
    char path[MAX_PATH];
    size_t plen;
    int depth;
    int quiet;
    const char *err;
} parser;

static int value(parser *p);

static void ws(parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
        p->pos++;
}

static int fail(parser *p, const char *err)
{
    if (!p->err)
        p->err = err;
    return -1;
}

static int peek(parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void emit_start(parser *p)
{
    if (!p->quiet)
        printf("%.*s\t", (int)p->plen, p->path);
}

static void put_utf8(parser *p, unsigned long c)
{
    if (p->quiet)
        return;
    if (c < 0x20) {
        putchar('?');
    } else if (c < 0x80) {
        putchar((int)c);
    } else if (c < 0x800) {
        putchar((int)(0xc0 | (c >> 6)));
        putchar((int)(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        putchar((int)(0xe0 | (c >> 12)));
        putchar((int)(0x80 | ((c >> 6) & 0x3f)));
        putchar((int)(0x80 | (c & 0x3f)));
    } else {
        putchar((int)(0xf0 | (c >> 18)));
        putchar((int)(0x80 | ((c >> 12) & 0x3f)));
        putchar((int)(0x80 | ((c >> 6) & 0x3f)));
        putchar((int)(0x80 | (c & 0x3f)));
    }
}

static int hex4(parser *p, unsigned long *out)
{
    unsigned long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        int c = peek(p);

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned long)(c - 'A' + 10);
        else
            return fail(p, "bad \\u escape");
        p->pos++;
    }
    *out = v;
    return 0;
}

/* Parses a string; with key set, appends it to the path instead of printing. */
static int string(parser *p, int key)
{
    int quiet = p->quiet;

    if (peek(p) != '"')
        return fail(p, "expected a string");
    p->pos++;
    if (key) {
        if (p->plen + 1 >= MAX_PATH)
            return fail(p, "path too long");
        if (p->plen)
            p->path[p->plen++] = '.';
        p->quiet = 1;
    }
    for (;;) {
        int c = peek(p);

        if (c < 0)
            return fail(p, "unterminated string");
        p->pos++;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c == '\\') {
            unsigned long u;

            c = peek(p);
            p->pos++;
            switch (c) {
            case '"': case '\\': case '/': u = (unsigned long)c; break;
            case 'b': u = '\b'; break;
            case 'f': u = '\f'; break;
            case 'n': u = '\n'; break;
            case 'r': u = '\r'; break;
            case 't': u = '\t'; break;
            case 'u':
                if (hex4(p, &u))
                    return -1;
                if (u >= 0xd800 && u < 0xdc00) {
                    unsigned long lo;

                    if (peek(p) != '\\')
                        return fail(p, "lone surrogate");
                    p->pos++;
                    if (peek(p) != 'u')
                        return fail(p, "lone surrogate");
                    p->pos++;
                    if (hex4(p, &lo))
                        return -1;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(p, "bad surrogate pair");
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                } else if (u >= 0xdc00 && u <= 0xdfff) {
                    return fail(p, "lone surrogate");
                }
                break;
            default:
                return fail(p, "bad escape");
            }
            if (key) {
                if (u < 0x20 || u > 0x7e || p->plen + 1 >= MAX_PATH)
                    return fail(p, "unsupported character in a member name");
                p->path[p->plen++] = (char)u;
            } else {
                put_utf8(p, u);
            }
            continue;
        }
        if (key) {
            if (p->plen + 1 >= MAX_PATH)
                return fail(p, "path too long");
            p->path[p->plen++] = (char)c;
        } else if (!p->quiet) {
            putchar(c);
        }
    }
    p->quiet = quiet;
    return 0;
}

static int number(parser *p)
{
    size_t start = p->pos;

    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0') {
        p->pos++;
    } else if (peek(p) >= '1' && peek(p) <= '9') {
        while (peek(p) >= '0' && peek(p) <= '9')
            p->pos++;
    } else {
        return fail(p, "bad number");
    }
    if (peek(p) == '.') {
        p->pos++;
        if (!(peek(p) >= '0' && peek(p) <= '9'))
            return fail(p, "bad fraction");
        while (peek(p) >= '0' && peek(p) <= '9')
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!(peek(p) >= '0' && peek(p) <= '9'))
            return fail(p, "bad exponent");
        while (peek(p) >= '0' && peek(p) <= '9')
            p->pos++;
    }
    if (!p->quiet)
        printf("%.*s", (int)(p->pos - start), p->s + start);
    return 0;
}

static int literal(parser *p, const char *word)
{
    size_t n = strlen(word);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
        return fail(p, "unexpected character");
    p->pos += n;
    if (!p->quiet)
        fputs(word, stdout);
    return 0;
}

static int container(parser *p, int obj)
{
    size_t saved = p->plen;
    unsigned long idx = 0;
    char close = obj ? '}' : ']';

    if (++p->depth > MAX_DEPTH)
        return fail(p, "nested too deeply");
    p->pos++;
    ws(p);
    if (peek(p) == close) {
        p->pos++;
        p->depth--;
        return 0;
    }
    for (;;) {
        ws(p);
        if (obj) {
            if (string(p, 1))
                return -1;
            ws(p);
            if (peek(p) != ':')
                return fail(p, "expected ':'");
            p->pos++;
        } else {
            int n = snprintf(p->path + p->plen, MAX_PATH - p->plen, "%s%lu",
                             p->plen ? "." : "", idx++);

            if (n < 0 || (size_t)n >= MAX_PATH - p->plen)
                return fail(p, "path too long");
            p->plen += (size_t)n;
        }
        if (value(p))
            return -1;
        p->plen = saved;
        ws(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) == close) {
            p->pos++;
            break;
        }
        return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    p->depth--;
    return 0;
}

static int value(parser *p)
{
    int c, rc;

    ws(p);
    c = peek(p);
    if (c == '{' || c == '[')
        return container(p, c == '{');
    emit_start(p);
    if (c == '"')
        rc = string(p, 0);
    else if (c == 't')
        rc = literal(p, "true");
    else if (c == 'f')
        rc = literal(p, "false");
    else if (c == 'n')
        rc = literal(p, "null");
    else if (c < 0)
        rc = fail(p, "unexpected end of input");
    else
        rc = number(p);
    if (!p->quiet)
        putchar('\n');
    return rc;
}

int main(int argc, char **argv)
{
    parser p = { 0 };
    FILE *f = stdin;
    char *buf = NULL;
    size_t cap = 0, n;
    int qflag = 0, argi = 1;

    if (argc > argi && !strcmp(argv[argi], "-q")) {
        qflag = 1;
        argi++;
    }
    if (argc > argi + 1 || (argc > argi && !strcmp(argv[argi], "--help"))) {
        fprintf(stderr, "usage: jsonflat [-q] [FILE]\n"
                "Validate one JSON value; print path<TAB>value per scalar (-q: validate only).\n");
        return 2;
    }
    if (argc > argi && strcmp(argv[argi], "-") && !(f = fopen(argv[argi], "r"))) {
        perror(argv[argi]);
        return 2;
    }
    do {
        char *nb;

        if (p.len + 65536 > cap) {
            cap = cap * 2 + 65536;
            nb = realloc(buf, cap);
            if (!nb) {
                fprintf(stderr, "jsonflat: out of memory\n");
                return 2;
            }
            buf = nb;
        }
        n = fread(buf + p.len, 1, cap - p.len, f);
        p.len += n;
    } while (n > 0);
    if (ferror(f)) {
        perror("jsonflat: read");
        return 2;
    }
    p.s = buf;
    p.quiet = qflag;
    if (value(&p) == 0) {
        ws(&p);
        if (p.pos != p.len)
            fail(&p, "trailing data after the JSON value");
    }
    fflush(stdout);
    free(buf);
    if (p.err) {
        fprintf(stderr, "jsonflat: invalid JSON at byte %zu: %s\n", p.pos, p.err);
        return 1;
    }
    return 0;
}
