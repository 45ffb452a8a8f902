/*
 * xenstore-schema/tools/schema_doc.c: rewrites the table of every XenStore
 * path in docs/xenstore-schema.md from the schema (make schema-doc).
 * Usage: xres-schema-doc FILE   (the text between the two marker lines is
 * replaced; the rest of the file is kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_schema.h"

int main(int argc, char **argv)
{
    FILE *f;
    char *text = NULL, line[1024];
    size_t len = 0;

    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: %s FILE\nRewrites the schema table in FILE "
                "between the lines\n  %s\n  %s\n", argv[0],
                XRES_SCHEMA_DOC_BEGIN, XRES_SCHEMA_DOC_END);
        return argc == 2 ? 0 : 2;
    }
    f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    FILE *m = open_memstream(&text, &len);
    int state = 0;              /* 0 before, 1 inside, 2 after */
    while (fgets(line, sizeof(line), f)) {
        if (state == 1) {
            if (strncmp(line, XRES_SCHEMA_DOC_END,
                        strlen(XRES_SCHEMA_DOC_END)))
                continue;
            state = 2;
        }
        fputs(line, m);
        if (state == 0 && !strncmp(line, XRES_SCHEMA_DOC_BEGIN,
                                   strlen(XRES_SCHEMA_DOC_BEGIN))) {
            state = 1;
            fprintf(m, "%s\n", XRES_SCHEMA_DOC_HEAD);
            for (size_t i = 0; i < xres_schema_nrows(); i++) {
                char buf[1024];
                if (xres_schema_doc_line(xres_schema_row_get(i), buf,
                                         sizeof(buf)) < 0) {
                    fprintf(stderr, "row %zu does not fit\n", i);
                    return 1;
                }
                fprintf(m, "%s\n", buf);
            }
        }
    }
    fclose(f);
    fclose(m);
    if (state != 2) {
        fprintf(stderr, "%s: marker lines not found\n", argv[1]);
        return 1;
    }
    f = fopen(argv[1], "w");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
        perror(argv[1]);
        return 1;
    }
    free(text);
    return 0;
}
