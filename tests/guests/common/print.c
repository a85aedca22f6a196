/* UART output and a small printf. Whole printf calls are serialised between harts so lines do not
 * interleave; the lock is owned per hart, so a trap handler that prints while its hart was
 * already printing (a fault inside printf) still gets its message out instead of deadlocking. */
#include "guest.h"

#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define UART_LSR_THRE 0x20

static volatile uint32_t print_owner; /* 0: free, else hart id + 1; changed by CAS only */

/* Returns whether this call took the lock (false: the hart already held it). */
static bool print_begin(void)
{
    uint32_t me = hart_id() + 1;
    if (print_owner == me)
        return false;
    uint32_t expected = 0;
    while (!__atomic_compare_exchange_n(&print_owner, &expected, me, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
        expected = 0;
    return true;
}

static void print_end(bool took)
{
    if (took)
        __atomic_store_n(&print_owner, 0, __ATOMIC_RELEASE);
}

void uart_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)VIRT_UART_BASE;
    while (!(uart[UART_LSR] & UART_LSR_THRE))
        ;
    uart[UART_THR] = (uint8_t)c;
}

void uart_puts(const char *s)
{
    bool took = print_begin();
    while (*s)
        uart_putc(*s++);
    print_end(took);
}

struct spec {
    char pad;  /* ' ' or '0' */
    int width; /* minimum field width */
};

static int emit_padded(const char *digits, int len, bool negative, struct spec sp)
{
    int body = len + (negative ? 1 : 0);
    int pads = sp.width > body ? sp.width - body : 0;
    if (negative && sp.pad == '0')
        uart_putc('-');
    for (int i = 0; i < pads; i++)
        uart_putc(sp.pad);
    if (negative && sp.pad != '0')
        uart_putc('-');
    for (int i = len - 1; i >= 0; i--)
        uart_putc(digits[i]);
    return pads + body;
}

static int emit_number(uint64_t value, unsigned base, bool negative, struct spec sp)
{
    char digits[24];
    int len = 0;
    do {
        unsigned d = (unsigned)(value % base);
        digits[len++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        value /= base;
    } while (value);
    return emit_padded(digits, len, negative, sp);
}

int vprintf(const char *fmt, va_list ap)
{
    int n = 0;
    bool took = print_begin();
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            n++;
            continue;
        }
        struct spec sp = {.pad = ' ', .width = 0};
        fmt++;
        if (*fmt == '0') {
            sp.pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            sp.width = sp.width * 10 + (*fmt++ - '0');
        int longs = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            n += emit_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, sp);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            n += emit_number(v, *fmt == 'u' ? 10 : 16, false, sp);
            break;
        }
        case 'p':
            uart_putc('0');
            uart_putc('x');
            n += 2 + emit_number((uint64_t)va_arg(ap, void *), 16, false, sp);
            break;
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++, n++)
                uart_putc(*s);
            break;
        case 'c':
            uart_putc((char)va_arg(ap, int));
            n++;
            break;
        case '%':
            uart_putc('%');
            n++;
            break;
        case '\0':
            fmt--; /* a lone '%' at the end: stop at the terminator */
            break;
        default: /* unknown conversion: show it as written */
            uart_putc('%');
            uart_putc(*fmt);
            n += 2;
            break;
        }
    }
    print_end(took);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
