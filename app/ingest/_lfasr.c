/* iFlytek lfasr's usual shape, read in one pass in C (app.ingest.typed uses it when built).

   `content.orderResult` is JSON in a JSON string, and each `lattice[].json_1best` in it is JSON
   in a string again: a file is three JSON documents deep. Parsed level by level in Python, the
   three parses and the walk over the words cost more than the rest of reading a call. Here one
   function reads the file, undoes each level's escapes into a buffer as it gets there, and
   reads the keys the general reader (app.ingest.vendors.iflytek) reads:

       document(data: bytes) -> (keys, order_id, utterances, labels) | None

   keys: the top-level keys (the caller checks that none is another format's); order_id:
   content.orderInfo.orderId (an int, a str or None); utterances: [{"speaker": rl, "text":
   words.strip(), "start_ms": bg, "end_ms": ed}, ...], the text being the first candidate
   `cw[0].w` of every word whose `wp` is not "g"; labels: the distinct `rl` values, for the
   caller to check. Anything but the usual shape answers None and the caller reads the file
   the Python way, which takes every variant and says where a broken file is broken:
   - a number other than a plain decimal (an exponent, more than 15 digits) anywhere, a value
     nested more than 64 deep, a key read here given twice or spelled another way
     (orderinfo, orderid);
   - `rl` not a string, `bg` / `ed` not 1 to 15 ASCII digits, a word list (`cw`) empty, an
     orderId that is not an integer of up to 18 digits, a string or null;
   - invalid JSON or UTF-8, an escaped lone surrogate, an empty lattice.
   So where this answers, the answer is the Python read's; the tests compare the two on the
   samples and on thousands of variants. Every read is bounded by its buffer's end. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_DIGITS 15

typedef struct {
    const unsigned char *p, *end;
} Cur;

typedef struct {
    unsigned char *data;
    Py_ssize_t len;
} Buf;

/* 1 for the bytes a string's plain run stops at: '"', '\\', control characters; with
   `check_utf8`, every byte of 0x80 and up too. */
static unsigned char STOP_ASCII[256], STOP_UTF8[256];

static void init_tables(void) {
    for (int i = 0; i < 256; i++) {
        STOP_ASCII[i] = (i < 0x20 || i == '"' || i == '\\');
        STOP_UTF8[i] = STOP_ASCII[i] || i >= 0x80;
    }
}

static inline void skip_ws(Cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static inline int hex4(const unsigned char *s, unsigned int *out) {
    unsigned int v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char ch = s[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= ch - '0';
        else if (ch >= 'a' && ch <= 'f') v |= ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v |= ch - 'A' + 10;
        else return -1;
    }
    *out = v;
    return 0;
}

/* The length of the valid UTF-8 sequence at s (lead byte 0x80 or more), or 0. */
static inline int utf8_len(const unsigned char *s, const unsigned char *end) {
    unsigned char b = s[0];
    if (b >= 0xC2 && b <= 0xDF) {
        return (end - s >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        if (end - s < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (b == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (b == 0xED && s[1] >= 0xA0) return 0; /* a surrogate */
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (end - s < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (b == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (b == 0xF4 && s[1] >= 0x90) return 0; /* beyond U+10FFFF */
        return 4;
    }
    return 0;
}

/* The JSON string at c->p (its opening quote), unescaped onto the end of `out` (which has room:
   unescaping never lengthens). `check_utf8`: the raw bytes are checked to be UTF-8 (the
   outermost level; inner levels are made of bytes already checked or written here). */
static int read_string(Cur *c, Buf *out, int check_utf8) {
    const unsigned char *stop = check_utf8 ? STOP_UTF8 : STOP_ASCII;
    const unsigned char *p = c->p, *end = c->end;
    unsigned char *o = out->data + out->len;
    if (p >= end || *p != '"') return -1;
    p++;
    for (;;) {
        while (p < end && !stop[*p]) *o++ = *p++;
        if (p >= end) return -1;
        unsigned char ch = *p;
        if (ch == '"') {
            p++;
            break;
        }
        if (ch >= 0x80) {
            int n;
            do { /* (text comes in runs of characters beyond ASCII) */
                n = utf8_len(p, end);
                if (!n) return -1;
                while (n--) *o++ = *p++;
            } while (p < end && *p >= 0x80);
            continue;
        }
        if (ch < 0x20) return -1;
        /* a backslash */
        if (end - p < 2) return -1;
        ch = p[1];
        p += 2;
        if (ch == '"' || ch == '\\') { /* (most escapes, in JSON inside JSON) */
            *o++ = ch;
            continue;
        }
        switch (ch) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned int u;
            if (end - p < 4 || hex4(p, &u)) return -1;
            p += 4;
            if (u >= 0xDC00 && u <= 0xDFFF) return -1; /* a lone low surrogate */
            if (u >= 0xD800 && u <= 0xDBFF) {
                unsigned int low;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &low) || low < 0xDC00 || low > 0xDFFF)
                    return -1; /* a lone high surrogate */
                p += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
            }
            if (u < 0x80) {
                *o++ = (unsigned char)u;
            } else if (u < 0x800) {
                *o++ = 0xC0 | (u >> 6);
                *o++ = 0x80 | (u & 0x3F);
            } else if (u < 0x10000) {
                *o++ = 0xE0 | (u >> 12);
                *o++ = 0x80 | ((u >> 6) & 0x3F);
                *o++ = 0x80 | (u & 0x3F);
            } else {
                *o++ = 0xF0 | (u >> 18);
                *o++ = 0x80 | ((u >> 12) & 0x3F);
                *o++ = 0x80 | ((u >> 6) & 0x3F);
                *o++ = 0x80 | (u & 0x3F);
            }
            break;
        }
        default:
            return -1;
        }
    }
    out->len = o - out->data;
    c->p = p;
    return 0;
}

/* Past a plain decimal number: -?(0|[1-9][0-9]*)(.[0-9]+)?, at most MAX_DIGITS digits on each
   side of the point, no exponent. */
static int skip_number(Cur *c) {
    const unsigned char *p = c->p, *end = c->end;
    if (p < end && *p == '-') p++;
    const unsigned char *digits = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    if (p == digits || p - digits > MAX_DIGITS || (*digits == '0' && p - digits > 1)) return -1;
    if (p < end && *p == '.') {
        const unsigned char *frac = ++p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == frac || p - frac > MAX_DIGITS) return -1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) return -1;
    c->p = p;
    return 0;
}

static int skip_value(Cur *c, Buf *scratch, int depth, int utf8);

/* 1 (and past it) at a JSON null, else 0. */
static inline int read_null(Cur *c) {
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        return 1;
    }
    return 0;
}

/* A key, read into `scratch` (from its start), and the colon after it; `utf8`: as read_string's
   check_utf8. */
static int read_key_utf8(Cur *c, Buf *scratch, int utf8) {
    scratch->len = 0;
    if (read_string(c, scratch, utf8)) return -1;
    skip_ws(c);
    if (c->p >= c->end || *c->p != ':') return -1;
    c->p++;
    skip_ws(c);
    return 0;
}

static inline int read_key(Cur *c, Buf *scratch) { return read_key_utf8(c, scratch, 0); }

static inline int key_is(const Buf *key, const char *name) {
    size_t n = strlen(name);
    return (size_t)key->len == n && memcmp(key->data, name, n) == 0;
}

/* After a member or an item: 1 at a comma (and past it), 0 at the closing bracket (and past
   it), -1 otherwise. */
static inline int next_item(Cur *c, unsigned char close) {
    skip_ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p == ',') {
        c->p++;
        skip_ws(c);
        return 1;
    }
    if (*c->p == close) {
        c->p++;
        return 0;
    }
    return -1;
}

/* At '{' or '[': past it, and 1 if the container has entries, 0 if it is empty (and past its
   end), -1 if not that container. */
static inline int open_container(Cur *c, unsigned char open, unsigned char close) {
    if (c->p >= c->end || *c->p != open) return -1;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    return 1;
}

static int skip_value(Cur *c, Buf *scratch, int depth, int utf8) {
    if (depth > MAX_DEPTH || c->p >= c->end) return -1;
    unsigned char ch = *c->p;
    if (ch == '"') {
        scratch->len = 0;
        return read_string(c, scratch, utf8);
    }
    if (ch == '{') {
        int more = open_container(c, '{', '}');
        while (more == 1) {
            if (read_key_utf8(c, scratch, utf8) || skip_value(c, scratch, depth + 1, utf8)) return -1;
            more = next_item(c, '}');
        }
        return more;
    }
    if (ch == '[') {
        int more = open_container(c, '[', ']');
        while (more == 1) {
            if (skip_value(c, scratch, depth + 1, utf8)) return -1;
            more = next_item(c, ']');
        }
        return more;
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) return skip_number(c);
    static const char *const literals[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(literals[i]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, literals[i], n) == 0) {
            c->p += n;
            return 0;
        }
    }
    return -1;
}

/* A time: a string of 1 to MAX_DIGITS ASCII digits, as milliseconds. */
static int read_ms(Cur *c, Buf *scratch, long long *out) {
    scratch->len = 0;
    if (read_string(c, scratch, 0) || scratch->len < 1 || scratch->len > MAX_DIGITS) return -1;
    long long v = 0;
    for (Py_ssize_t i = 0; i < scratch->len; i++) {
        unsigned char d = scratch->data[i];
        if (d < '0' || d > '9') return -1;
        v = v * 10 + (d - '0');
    }
    *out = v;
    return 0;
}

#define LABELS 4

typedef struct {
    Buf scratch;            /* keys and values read only to be checked */
    Buf text;               /* the sentence's words */
    PyObject *seen[LABELS]; /* the role labels made so far (a call has a few, sentence after sentence) */
} Work;

static PyObject *STRIP; /* "strip" */
static PyObject *KEYS[4]; /* "speaker", "text", "start_ms", "end_ms" */

/* The role label just read into w->scratch, as a str: one made before for the same bytes, or
   a new one (a new reference either way). */
static PyObject *label(Work *w) {
    for (int i = 0; i < LABELS && w->seen[i] != NULL; i++) {
        Py_ssize_t n;
        const char *known = PyUnicode_AsUTF8AndSize(w->seen[i], &n);
        if (known != NULL && n == w->scratch.len && memcmp(known, w->scratch.data, n) == 0)
            return Py_NewRef(w->seen[i]);
    }
    PyObject *made = PyUnicode_DecodeUTF8((const char *)w->scratch.data, w->scratch.len, NULL);
    for (int i = 0; made != NULL && i < LABELS; i++) {
        if (w->seen[i] == NULL) {
            w->seen[i] = Py_NewRef(made);
            break;
        }
    }
    return made;
}

/* One `cw` list: every entry {"w": string, "wp": string or null}; the first entry's `w` is
   added to the text unless its `wp` is "g". */
static int read_cw(Cur *c, Work *w) {
    int more = open_container(c, '[', ']');
    if (more != 1) return -1; /* not a list, or empty: no first candidate */
    int first = 1;
    while (more == 1) {
        int has_w = 0, has_wp = 0, mark = 0;
        Py_ssize_t start = w->text.len;
        int entries = open_container(c, '{', '}');
        if (entries < 0) return -1;
        while (entries == 1) {
            if (read_key(c, &w->scratch)) return -1;
            if (key_is(&w->scratch, "w")) {
                if (has_w++) return -1;
                if (first) {
                    if (read_string(c, &w->text, 0)) return -1;
                } else {
                    w->scratch.len = 0;
                    if (read_string(c, &w->scratch, 0)) return -1;
                }
            } else if (key_is(&w->scratch, "wp")) {
                if (has_wp++) return -1;
                if (!read_null(c)) {
                    w->scratch.len = 0;
                    if (read_string(c, &w->scratch, 0)) return -1;
                    mark = w->scratch.len == 1 && w->scratch.data[0] == 'g';
                }
            } else if (skip_value(c, &w->scratch, 4, 0)) {
                return -1;
            }
            entries = next_item(c, '}');
        }
        if (entries < 0 || !has_w) return -1;
        if (first && mark) w->text.len = start; /* a paragraph mark: not text */
        first = 0;
        more = next_item(c, ']');
    }
    return more;
}

/* A list of objects, each holding the list `key` (read by `inner`; other keys skipped). */
static int read_nested(Cur *c, Work *w, const char *key, int (*inner)(Cur *, Work *), int depth) {
    int more = open_container(c, '[', ']');
    while (more == 1) {
        int found = 0;
        int entries = open_container(c, '{', '}');
        if (entries < 0) return -1;
        while (entries == 1) {
            if (read_key(c, &w->scratch)) return -1;
            if (key_is(&w->scratch, key)) {
                if (found++ || inner(c, w)) return -1;
            } else if (skip_value(c, &w->scratch, depth, 0)) {
                return -1;
            }
            entries = next_item(c, '}');
        }
        if (entries < 0 || !found) return -1;
        more = next_item(c, ']');
    }
    return more;
}

static int read_ws(Cur *c, Work *w) { return read_nested(c, w, "cw", read_cw, 3); }

static int read_rt(Cur *c, Work *w) { return read_nested(c, w, "ws", read_ws, 2); }

/* One sentence: {"st": {"bg", "ed", "rl", "rt"}}, appended to `utterances` as a dict. */
static int read_sentence(Cur *c, Work *w, PyObject *utterances, PyObject *labels) {
    int has_st = 0, has_bg = 0, has_ed = 0, has_rl = 0, has_rt = 0;
    long long bg = 0, ed = 0;
    PyObject *rl = NULL;
    w->text.len = 0;
    skip_ws(c);
    int entries = open_container(c, '{', '}');
    if (entries < 0) return -1;
    while (entries == 1) {
        if (read_key(c, &w->scratch)) goto fail;
        if (!key_is(&w->scratch, "st")) {
            if (skip_value(c, &w->scratch, 1, 0)) goto fail;
        } else {
            if (has_st++) goto fail;
            int fields = open_container(c, '{', '}');
            if (fields < 0) goto fail;
            while (fields == 1) {
                if (read_key(c, &w->scratch)) goto fail;
                if (key_is(&w->scratch, "bg")) {
                    if (has_bg++ || read_ms(c, &w->scratch, &bg)) goto fail;
                } else if (key_is(&w->scratch, "ed")) {
                    if (has_ed++ || read_ms(c, &w->scratch, &ed)) goto fail;
                } else if (key_is(&w->scratch, "rl")) {
                    w->scratch.len = 0;
                    if (has_rl++ || read_string(c, &w->scratch, 0)) goto fail;
                    rl = label(w);
                    if (rl == NULL) goto fail;
                } else if (key_is(&w->scratch, "rt")) {
                    if (has_rt++ || read_rt(c, w)) goto fail;
                } else if (skip_value(c, &w->scratch, 2, 0)) {
                    goto fail;
                }
                fields = next_item(c, '}');
            }
            if (fields < 0) goto fail;
        }
        entries = next_item(c, '}');
    }
    skip_ws(c);
    if (entries < 0 || c->p != c->end || !has_st || !has_bg || !has_ed || !has_rl || !has_rt) goto fail;
    {
        PyObject *text = PyUnicode_DecodeUTF8((const char *)w->text.data, w->text.len, NULL);
        Py_ssize_t last = text ? PyUnicode_GET_LENGTH(text) - 1 : -1;
        if (last >= 0 && (Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, 0)) ||
                          Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, last)))) {
            Py_SETREF(text, PyObject_CallMethodNoArgs(text, STRIP)); /* str.strip itself */
        }
        PyObject *start = text ? PyLong_FromLongLong(bg) : NULL;
        PyObject *stop = start ? PyLong_FromLongLong(ed) : NULL;
        PyObject *u = stop ? PyDict_New() : NULL;
        int bad = u == NULL || PyDict_SetItem(u, KEYS[0], rl) || PyDict_SetItem(u, KEYS[1], text) ||
                  PyDict_SetItem(u, KEYS[2], start) || PyDict_SetItem(u, KEYS[3], stop) ||
                  PyList_Append(utterances, u) || PySet_Add(labels, rl);
        Py_XDECREF(text);
        Py_XDECREF(start);
        Py_XDECREF(stop);
        Py_XDECREF(u);
        Py_DECREF(rl);
        return bad ? -1 : 0;
    }
fail:
    Py_XDECREF(rl);
    return -1;
}

static int buf_init(Buf *b, Py_ssize_t cap) {
    b->data = PyMem_Malloc(cap > 0 ? cap : 1);
    b->len = 0;
    return b->data ? 0 : -1;
}

typedef struct {
    Buf order, best; /* the orderResult text (level 2); one json_1best text (level 3) */
    Work w;
    PyObject *utterances, *labels;
} Reader;

/* Buffers for an input of n bytes (no level is longer than the one around it). */
static int reader_init(Reader *r, Py_ssize_t n) {
    memset(r, 0, sizeof *r);
    if (buf_init(&r->order, n) || buf_init(&r->best, n) || buf_init(&r->w.scratch, n) || buf_init(&r->w.text, n)) {
        PyErr_NoMemory();
        return -1;
    }
    r->utterances = PyList_New(0);
    r->labels = r->utterances ? PySet_New(NULL) : NULL;
    return r->labels ? 0 : -1;
}

static void reader_free(Reader *r) {
    Py_XDECREF(r->utterances);
    Py_XDECREF(r->labels);
    PyMem_Free(r->order.data);
    PyMem_Free(r->best.data);
    PyMem_Free(r->w.scratch.data);
    PyMem_Free(r->w.text.data);
    for (int i = 0; i < LABELS; i++) Py_XDECREF(r->w.seen[i]);
}

/* The orderResult string literal at lit->p, its sentences appended to r->utterances. */
static int read_order(Cur *lit, Reader *r) {
    Work *w = &r->w;
    /* Level 1: the literal, as the file has it. */
    if (read_string(lit, &r->order, 1)) return -1;
    /* Level 2: {"lattice": [{"json_1best": "<level 3>"}, ...], ...}. */
    Cur c = {r->order.data, r->order.data + r->order.len};
    int has_lattice = 0;
    skip_ws(&c);
    int entries = open_container(&c, '{', '}');
    if (entries < 0) return -1;
    while (entries == 1) {
        if (read_key(&c, &w->scratch)) return -1;
        if (!key_is(&w->scratch, "lattice")) {
            if (skip_value(&c, &w->scratch, 1, 0)) return -1;
        } else {
            if (has_lattice++) return -1;
            int more = open_container(&c, '[', ']');
            if (more != 1) return -1; /* an empty lattice: not the usual shape */
            while (more == 1) {
                int has_best = 0;
                int fields = open_container(&c, '{', '}');
                if (fields < 0) return -1;
                while (fields == 1) {
                    if (read_key(&c, &w->scratch)) return -1;
                    if (key_is(&w->scratch, "json_1best")) {
                        r->best.len = 0;
                        if (has_best++ || read_string(&c, &r->best, 0)) return -1;
                        Cur st = {r->best.data, r->best.data + r->best.len};
                        if (read_sentence(&st, w, r->utterances, r->labels)) return -1;
                    } else if (skip_value(&c, &w->scratch, 3, 0)) {
                        return -1;
                    }
                    fields = next_item(&c, '}');
                }
                if (fields < 0 || !has_best) return -1;
                more = next_item(&c, ']');
            }
            if (more < 0) return -1;
        }
        entries = next_item(&c, '}');
    }
    skip_ws(&c);
    return entries < 0 || c.p != c.end || !has_lattice ? -1 : 0;
}

/* None, where the input is not the usual shape (or a MemoryError stands). */
static PyObject *usual_not(void) {
    if (PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_MemoryError)) return NULL;
        PyErr_Clear(); /* (not UTF-8, say: for the general reader to say where) */
    }
    Py_RETURN_NONE;
}

/* An integer id: -?(0|[1-9][0-9]*), at most 18 digits. */
static PyObject *read_int(Cur *c) {
    const unsigned char *p = c->p, *end = c->end;
    int negative = p < end && *p == '-';
    p += negative;
    const unsigned char *digits = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    if (p == digits || p - digits > 18 || (*digits == '0' && p - digits > 1)) return NULL;
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return NULL;
    long long v = 0;
    for (const unsigned char *d = digits; d < p; d++) v = v * 10 + (*d - '0');
    c->p = p;
    return PyLong_FromLongLong(negative ? -v : v);
}

/* content.orderInfo: null or an object whose orderId (an integer, a string or null) is the
   call id; *id gets a new reference (None where absent). */
static int read_info(Cur *c, Reader *r, PyObject **id) {
    Buf *scratch = &r->w.scratch;
    if (read_null(c)) return 0;
    int entries = open_container(c, '{', '}');
    if (entries < 0) return -1;
    while (entries == 1) {
        if (read_key_utf8(c, scratch, 1)) return -1;
        if (key_is(scratch, "orderid")) return -1; /* another spelling: for the general reader */
        if (!key_is(scratch, "orderId")) {
            if (skip_value(c, scratch, 2, 1)) return -1;
        } else {
            if (*id != NULL) return -1;
            if (c->p < c->end && *c->p == '"') {
                scratch->len = 0;
                if (read_string(c, scratch, 1)) return -1;
                *id = PyUnicode_DecodeUTF8((const char *)scratch->data, scratch->len, NULL);
            } else if (read_null(c)) {
                *id = Py_NewRef(Py_None);
            } else {
                *id = read_int(c);
            }
            if (*id == NULL) return -1;
        }
        entries = next_item(c, '}');
    }
    return entries;
}

static PyObject *document(PyObject *module, PyObject *arg) {
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    Reader r;
    PyObject *keys = NULL, *id = NULL, *result = NULL;
    if (reader_init(&r, view.len) || (keys = PyList_New(0)) == NULL) goto done;
    Buf *scratch = &r.w.scratch;
    Cur c = {view.buf, (const unsigned char *)view.buf + view.len};
    int has_content = 0, has_order = 0, has_info = 0;
    skip_ws(&c);
    int entries = open_container(&c, '{', '}');
    while (entries == 1) {
        if (read_key_utf8(&c, scratch, 1)) goto not_usual;
        PyObject *key = PyUnicode_DecodeUTF8((const char *)scratch->data, scratch->len, NULL);
        int bad = key == NULL || PyList_Append(keys, key);
        Py_XDECREF(key);
        if (bad) goto not_usual;
        if (!key_is(scratch, "content")) {
            if (skip_value(&c, scratch, 1, 1)) goto not_usual;
        } else {
            if (has_content++) goto not_usual;
            int fields = open_container(&c, '{', '}');
            while (fields == 1) {
                if (read_key_utf8(&c, scratch, 1)) goto not_usual;
                if (key_is(scratch, "orderResult")) {
                    if (has_order++ || read_order(&c, &r)) goto not_usual;
                } else if (key_is(scratch, "orderInfo")) {
                    if (has_info++ || read_info(&c, &r, &id)) goto not_usual;
                } else if (key_is(scratch, "orderinfo")) {
                    goto not_usual; /* another spelling: for the general reader */
                } else if (skip_value(&c, scratch, 2, 1)) {
                    goto not_usual;
                }
                fields = next_item(&c, '}');
            }
            if (fields < 0) goto not_usual;
        }
        entries = next_item(&c, '}');
    }
    skip_ws(&c);
    if (entries < 0 || c.p != c.end || !has_order) goto not_usual;
    result = Py_BuildValue("(OOOO)", keys, id ? id : Py_None, r.utterances, r.labels);
    goto done;
not_usual:
    result = usual_not();
done:
    Py_XDECREF(keys);
    Py_XDECREF(id);
    reader_free(&r);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef METHODS[] = {
    {"document", document, METH_O,
     "document(data) -> (top-level keys, orderId, utterances, labels) | None: an iFlytek file in "
     "the usual shape; None for anything else."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_lfasr", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__lfasr(void) {
    init_tables();
    if (STRIP == NULL && (STRIP = PyUnicode_InternFromString("strip")) == NULL) return NULL;
    const char *names[4] = {"speaker", "text", "start_ms", "end_ms"};
    for (int i = 0; i < 4; i++) {
        if (KEYS[i] == NULL && (KEYS[i] = PyUnicode_InternFromString(names[i])) == NULL) return NULL;
    }
    return PyModule_Create(&MODULE);
}
