/*
 * printf-style formatting into a bounded buffer. Used by printk, by
 * panic and by the test framework's diagnostics. It never writes past
 * the buffer and always returns the length the full output would have.
 */
#include <stdint.h>
#include <stdbool.h>
#include <lib/format.h>
#include <lib/string.h>

struct outbuf {
	char *buf;
	size_t size;
	size_t len; /* what the output would be, even if cut */
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int precision; /* -1: none */
};

/* prefix: a sign or "0x", placed before any zero padding. */
static void put_padded(struct outbuf *o, const char *s, int len,
		       const struct spec *sp, const char *prefix)
{
	int body = len + (int)strlen(prefix);
	int pad = sp->width > body ? sp->width - body : 0;

	if (!sp->left && !sp->zero)
		while (pad-- > 0)
			put(o, ' ');
	while (*prefix)
		put(o, *prefix++);
	if (!sp->left && sp->zero)
		while (pad-- > 0)
			put(o, '0');
	while (len--)
		put(o, *s++);
	while (sp->left && pad-- > 0)
		put(o, ' ');
}

static void put_number(struct outbuf *o, uint64_t val, bool negative,
		       unsigned base, bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	const char *prefix = "";

	/* ".0" prints 0 as nothing. */
	if (val || sp->precision != 0)
		do {
			tmp[sizeof(tmp) - 1 - n++] = digits[val % base];
			val /= base;
		} while (val);
	/* Precision is a minimum count of digits (at most what tmp holds). */
	while (n < sp->precision && n < (int)sizeof(tmp))
		tmp[sizeof(tmp) - 1 - n++] = '0';
	if (negative)
		prefix = "-";
	else if (sp->plus)
		prefix = "+";
	else if (sp->space)
		prefix = " ";
	else if (sp->alt && base == 16)
		prefix = "0x";
	put_padded(o, tmp + sizeof(tmp) - n, n, sp, prefix);
}

static const char *parse_spec(const char *fmt, struct spec *sp, va_list *ap)
{
	memset(sp, 0, sizeof(*sp));
	sp->precision = -1;
	for (;; fmt++) {
		if (*fmt == '-')
			sp->left = true;
		else if (*fmt == '0')
			sp->zero = true;
		else if (*fmt == '+')
			sp->plus = true;
		else if (*fmt == ' ')
			sp->space = true;
		else if (*fmt == '#')
			sp->alt = true;
		else
			break;
	}
	if (*fmt == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) { /* a negative width means "-" */
			sp->left = true;
			sp->width = -sp->width;
		}
		fmt++;
	}
	while (*fmt >= '0' && *fmt <= '9')
		sp->width = sp->width * 10 + (*fmt++ - '0');
	if (*fmt == '.') {
		fmt++;
		sp->precision = 0;
		if (*fmt == '*') {
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0) /* as if none was given */
				sp->precision = -1;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			sp->precision = sp->precision * 10 + (*fmt++ - '0');
	}
	/* With a precision, numbers are padded with spaces, not zeros. */
	if (sp->precision >= 0)
		sp->zero = false;
	return fmt;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct outbuf o = { buf, size, 0 };
	va_list ap;

	va_copy(ap, ap_in);
	for (; *fmt; fmt++) {
		struct spec sp;
		int lng = 0;  /* 0: int, 1: long, 2: long long */
		int shrt = 0; /* 1: short (h), 2: char (hh) */
		uint64_t uval;
		int64_t sval;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &ap);
		while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'h')
				shrt++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			sval = lng >= 2 ? va_arg(ap, long long)
					: va_arg(ap, long);
			/* A short or char was promoted to int: narrow it back.
			 */
			if (shrt)
				sval = shrt == 1 ? (short)sval
						 : (signed char)sval;
			uval = sval < 0 ? -(uint64_t)sval : (uint64_t)sval;
			put_number(&o, uval, sval < 0, 10, false, &sp);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			uval = lng >= 2 ? va_arg(ap, unsigned long long)
					: va_arg(ap, unsigned long);
			if (shrt)
				uval = shrt == 1 ? (unsigned short)uval
						 : (unsigned char)uval;
			put_number(&o, uval, false,
				   *fmt == 'u'	 ? 10
				   : *fmt == 'o' ? 8
						 : 16,
				   *fmt == 'X', &sp);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			sp.zero = true;
			sp.width = 8;
			sp.precision = -1;
			put_number(&o, (uintptr_t)va_arg(ap, void *), false, 16,
				   false, &sp);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_padded(&o, &c, 1, &sp, "");
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len;

			if (!s)
				s = "(null)";
			len = sp.precision >= 0 ? (int)strnlen(s, sp.precision)
						: (int)strlen(s);
			sp.zero = false;
			put_padded(&o, s, len, &sp, "");
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			/* Unknown conversion: show it rather than guess. */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
