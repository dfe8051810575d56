/* JSON for people (pretty.h). */
#include "core/pretty.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Pretty JSON with 4-space indents, short scalar arrays on one line: ready to paste. */
static int pretty(struct lc_buf *b, const cJSON *j, int depth)
{
    int rc = 0;

    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        bool obj = cJSON_IsObject(j), flat = !obj;
        size_t width = 0;
        for (const cJSON *c = j->child; c && flat; c = c->next) {
            flat = cJSON_IsString(c) || cJSON_IsNumber(c) || cJSON_IsBool(c);
            width += c->valuestring ? strlen(c->valuestring) + 4 : 8;
        }
        if (!j->child)
            return lc_buf_append(b, obj ? "{}" : "[]", 2);
        if (flat && width < 80) {
            rc = lc_buf_putc(b, '[');
            for (const cJSON *c = j->child; c && !rc; c = c->next) {
                rc = pretty(b, c, depth + 1);
                if (!rc && c->next)
                    rc = lc_buf_append(b, ", ", 2);
            }
            return rc ? rc : lc_buf_putc(b, ']');
        }
        rc = lc_buf_appendf(b, "%c\n", obj ? '{' : '[');
        for (const cJSON *c = j->child; c && !rc; c = c->next) {
            rc = lc_buf_appendf(b, "%*s", (depth + 1) * 4, "");
            if (!rc && obj) {
                cJSON *k = cJSON_CreateString(c->string);
                char *ks = k ? cJSON_PrintUnformatted(k) : NULL;
                cJSON_Delete(k);
                rc = ks ? lc_buf_appendf(b, "%s: ", ks) : LC_E_NOMEM;
                free(ks);
            }
            if (!rc)
                rc = pretty(b, c, depth + 1);
            if (!rc)
                rc = lc_buf_appendf(b, "%s\n", c->next ? "," : "");
        }
        if (!rc)
            rc = lc_buf_appendf(b, "%*s%c", depth * 4, "", obj ? '}' : ']');
        return rc;
    }
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        return LC_E_NOMEM;
    rc = lc_buf_append(b, s, strlen(s));
    free(s);
    return rc;
}

int lc_json_pretty(const cJSON *j, struct lc_buf *out)
{
    int rc = pretty(out, j, 0);
    return rc ? rc : lc_buf_putc(out, '\n');
}
