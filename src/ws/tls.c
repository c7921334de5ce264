#include "ws/tls.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/*
 * OpenSSL is not linked: every logwhy process would pay for loading and
 * relocating libssl and libcrypto at start (about 3 ms), and only a wss://
 * probe uses them. The first ws_tls_new dlopens libssl and resolves each
 * function below into a pointer typed from OpenSSL's own declaration, so
 * every call is still checked against the headers. libcrypto's functions
 * (ERR_*, X509_*) come through the same handle: dlsym on it searches
 * libssl's dependencies too. The handle stays open for the life of the
 * process (OpenSSL keeps global state behind it).
 *
 * The soname names the ABI the headers describe: libssl.so.3 is OpenSSL
 * 3.x, so compiling against other headers must fail here rather than load
 * a library whose functions differ from the declarations below.
 */
#if !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR != 3
#error "src/ws/tls.c loads libssl.so.3: it needs OpenSSL 3 headers"
#endif
#define TLS_SONAME "libssl.so.3"

/* SSL_CTX_set_min_proto_version and SSL_set_tlsext_host_name are macros
 * over SSL_CTX_ctrl and SSL_ctrl: those are what the library exports. */
#define TLS_FUNCS(X) \
	X(TLS_client_method) X(SSL_CTX_new) X(SSL_CTX_free) X(SSL_CTX_ctrl) \
	X(SSL_CTX_set_options) X(SSL_CTX_set_verify) X(SSL_CTX_load_verify_locations) \
	X(SSL_CTX_set_default_verify_paths) X(SSL_new) X(SSL_free) X(SSL_set_fd) \
	X(SSL_ctrl) X(SSL_get0_param) X(SSL_set1_host) X(SSL_set_connect_state) \
	X(SSL_do_handshake) X(SSL_get_error) X(SSL_get_verify_result) X(SSL_read) \
	X(SSL_write) X(SSL_get_version) X(SSL_is_init_finished) X(SSL_shutdown) \
	X(ERR_get_error) X(ERR_reason_error_string) X(ERR_clear_error) \
	X(X509_VERIFY_PARAM_set_hostflags) X(X509_VERIFY_PARAM_set1_ip_asc) \
	X(X509_verify_cert_error_string)

#define TLS_DECLARE(f) static __typeof__(f) *p_##f;
TLS_FUNCS(TLS_DECLARE)
#undef TLS_DECLARE

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_loaded;
static char tls_load_err[WS_TLS_ERR_MAX];

/* dlsym's void * into the function pointer at fp: ISO C has no cast for
 * it, POSIX guarantees the two have one representation. */
static int resolve(void *h, const char *name, void *fp)
{
	void *sym;

	dlerror();
	sym = dlsym(h, name);
	if (!sym) {
		const char *e = dlerror();

		snprintf(tls_load_err, sizeof tls_load_err, "TLS: cannot load %s: %s",
			 TLS_SONAME, e ? e : name);
		return -1;
	}
	memcpy(fp, &sym, sizeof sym);
	return 0;
}

static void tls_load(void)
{
	void *h = dlopen(TLS_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *e = dlerror();

		snprintf(tls_load_err, sizeof tls_load_err, "TLS: cannot load %s: %s",
			 TLS_SONAME, e ? e : "unknown error");
		return;
	}
#define TLS_RESOLVE(f) \
	_Static_assert(sizeof p_##f == sizeof(void *), "a function pointer fits a void *"); \
	if (resolve(h, #f, &p_##f) < 0) { \
		dlclose(h); \
		return; \
	}
	TLS_FUNCS(TLS_RESOLVE)
#undef TLS_RESOLVE
	tls_loaded = 1;
}

struct ws_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	char host[256];
	char err[WS_TLS_ERR_MAX];
};

static int is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The first queued OpenSSL error, as its reason string ("wrong version
 * number"), or what errno says. */
static void queued_error(struct ws_tls *t, const char *what, int saved_errno)
{
	unsigned long e = p_ERR_get_error();
	const char *reason = e ? p_ERR_reason_error_string(e) : NULL;

	if (reason)
		snprintf(t->err, sizeof t->err, "%s: %s", what, reason);
	else if (saved_errno)
		snprintf(t->err, sizeof t->err, "%s: %s", what, strerror(saved_errno));
	else
		snprintf(t->err, sizeof t->err, "%s: the server closed the connection", what);
	p_ERR_clear_error();
}

struct ws_tls *ws_tls_new(int fd, const char *host, const struct ws_tls_opts *o,
			  char *err, size_t n)
{
	struct ws_tls *t;
	int ip = is_ip_literal(host);

	pthread_once(&tls_once, tls_load);
	if (!tls_loaded) {
		snprintf(err, n, "%s", tls_load_err);
		return NULL;
	}
	t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, n, "TLS: out of memory");
		return NULL;
	}
	snprintf(t->host, sizeof t->host, "%s", host);
	p_ERR_clear_error();
	t->ctx = p_SSL_CTX_new(p_TLS_client_method());
	if (!t->ctx)
		goto fail;
	p_SSL_CTX_ctrl(t->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* a peer that drops TCP without close_notify ends the stream, as on
	 * plain TCP: the WebSocket layer judges it (1006) */
	p_SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (o && o->insecure) {
		p_SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	} else {
		p_SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		if (o && o->cafile) {
			if (p_SSL_CTX_load_verify_locations(t->ctx, o->cafile, NULL) != 1) {
				unsigned long e = p_ERR_get_error();

				snprintf(err, n, "TLS: cannot load CA certificates from '%s': %s",
					 o->cafile, e && p_ERR_reason_error_string(e) ?
					 p_ERR_reason_error_string(e) : "no certificate in it");
				p_ERR_clear_error();
				ws_tls_free(t);
				return NULL;
			}
		} else if (p_SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
			goto fail;
		}
	}
	t->ssl = p_SSL_new(t->ctx);
	if (!t->ssl || p_SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	/* no SNI for an IP address (RFC 6066 3) */
	if (!ip && p_SSL_ctrl(t->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
			      (void *)host) != 1)
		goto fail;
	if (!(o && o->insecure)) {
		X509_VERIFY_PARAM *param = p_SSL_get0_param(t->ssl);

		p_X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (ip ? p_X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1
		       : p_SSL_set1_host(t->ssl, host) != 1)
			goto fail;
	}
	p_SSL_set_connect_state(t->ssl);
	return t;
fail:
	{
		unsigned long e = p_ERR_get_error();

		snprintf(err, n, "TLS: cannot set up a session for '%s': %s", host,
			 e && p_ERR_reason_error_string(e) ? p_ERR_reason_error_string(e) : "out of memory");
	}
	p_ERR_clear_error();
	ws_tls_free(t);
	return NULL;
}

/* What SSL_get_error says about a result r <= 0 of an I/O call. */
static int outcome(struct ws_tls *t, int r, const char *what)
{
	int saved = errno;

	switch (p_SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return WS_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return WS_TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SSL:
	case SSL_ERROR_SYSCALL:
	default:
		queued_error(t, what, saved);
		errno = saved ? saved : EPROTO;
		return WS_TLS_ERROR;
	}
}

int ws_tls_handshake(struct ws_tls *t)
{
	int r;

	p_ERR_clear_error();
	r = p_SSL_do_handshake(t->ssl);
	if (r == 1)
		return 1;
	r = outcome(t, r, "TLS handshake failed");
	if (r == WS_TLS_ERROR || r == 0) {
		long v = p_SSL_get_verify_result(t->ssl);

		/* a refused certificate says why in its own words */
		if (v != X509_V_OK) {
			if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
				snprintf(t->err, sizeof t->err,
					 "TLS handshake failed: certificate verify failed: "
					 "the certificate does not name '%s' (--insecure skips the check)",
					 t->host);
			else
				snprintf(t->err, sizeof t->err,
					 "TLS handshake failed: certificate verify failed: %s "
					 "(--insecure skips the check)",
					 p_X509_verify_cert_error_string(v));
		} else if (r == 0) {
			snprintf(t->err, sizeof t->err,
				 "TLS handshake failed: the server closed the connection");
		}
		return WS_TLS_ERROR;
	}
	return r;
}

long ws_tls_read(struct ws_tls *t, void *p, size_t n)
{
	int r;

	if (n > 1 << 30)
		n = 1 << 30;
	p_ERR_clear_error();
	r = p_SSL_read(t->ssl, p, (int)n);
	if (r > 0)
		return r;
	return outcome(t, r, "TLS read");
}

long ws_tls_write(struct ws_tls *t, const void *p, size_t n)
{
	int r;

	if (n > 1 << 30)
		n = 1 << 30;
	p_ERR_clear_error();
	r = p_SSL_write(t->ssl, p, (int)n);
	if (r > 0)
		return r;
	r = outcome(t, r, "TLS write");
	return r == 0 ? WS_TLS_ERROR : r;
}

const char *ws_tls_error(const struct ws_tls *t)
{
	return t->err;
}

const char *ws_tls_version(const struct ws_tls *t)
{
	return t && t->ssl ? p_SSL_get_version(t->ssl) : "";
}

void ws_tls_free(struct ws_tls *t)
{
	if (!t)
		return;
	if (t->ssl) {
		if (p_SSL_is_init_finished(t->ssl))
			p_SSL_shutdown(t->ssl);
		p_SSL_free(t->ssl);
	}
	p_SSL_CTX_free(t->ctx);
	p_ERR_clear_error();
	free(t);
}
