#include "output/text_table.h"

/* Columns at most: every table here has a dozen. */
#define MAX_COLUMNS 32

size_t tr_text_width(const char *text)
{
    size_t n = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++)
        n += (*s & 0xc0) != 0x80;
    return n;
}

int tr_text_table_write(FILE *f, const char *const *cells, size_t rows, size_t cols,
                        const unsigned char *right)
{
    size_t width[MAX_COLUMNS] = {0};
    if (cols > MAX_COLUMNS)
        return -1;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            size_t w = tr_text_width(cells[r * cols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const char *cell = cells[r * cols + c];
            int pad = (int)(width[c] - tr_text_width(cell));
            int last = c + 1 == cols;
            if (c)
                fputs("  ", f);
            if (right[c])
                fprintf(f, "%*s%s", pad, "", cell);
            else
                fprintf(f, "%s%*s", cell, last ? 0 : pad, "");
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}
