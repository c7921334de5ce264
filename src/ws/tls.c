#include "ws/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

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
	unsigned long e = ERR_get_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	if (reason)
		snprintf(t->err, sizeof t->err, "%s: %s", what, reason);
	else if (saved_errno)
		snprintf(t->err, sizeof t->err, "%s: %s", what, strerror(saved_errno));
	else
		snprintf(t->err, sizeof t->err, "%s: the server closed the connection", what);
	ERR_clear_error();
}

struct ws_tls *ws_tls_new(int fd, const char *host, const struct ws_tls_opts *o,
			  char *err, size_t n)
{
	struct ws_tls *t = calloc(1, sizeof *t);
	int ip = is_ip_literal(host);

	if (!t) {
		snprintf(err, n, "TLS: out of memory");
		return NULL;
	}
	snprintf(t->host, sizeof t->host, "%s", host);
	ERR_clear_error();
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* a peer that drops TCP without close_notify ends the stream, as on
	 * plain TCP: the WebSocket layer judges it (1006) */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (o && o->insecure) {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		if (o && o->cafile) {
			if (SSL_CTX_load_verify_locations(t->ctx, o->cafile, NULL) != 1) {
				unsigned long e = ERR_get_error();

				snprintf(err, n, "TLS: cannot load CA certificates from '%s': %s",
					 o->cafile, e && ERR_reason_error_string(e) ?
					 ERR_reason_error_string(e) : "no certificate in it");
				ERR_clear_error();
				ws_tls_free(t);
				return NULL;
			}
		} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
			goto fail;
		}
	}
	t->ssl = SSL_new(t->ctx);
	if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	/* no SNI for an IP address (RFC 6066 3) */
	if (!ip && SSL_set_tlsext_host_name(t->ssl, host) != 1)
		goto fail;
	if (!(o && o->insecure)) {
		X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);

		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1
		       : SSL_set1_host(t->ssl, host) != 1)
			goto fail;
	}
	SSL_set_connect_state(t->ssl);
	return t;
fail:
	{
		unsigned long e = ERR_get_error();

		snprintf(err, n, "TLS: cannot set up a session for '%s': %s", host,
			 e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "out of memory");
	}
	ERR_clear_error();
	ws_tls_free(t);
	return NULL;
}

/* What SSL_get_error says about a result r <= 0 of an I/O call. */
static int outcome(struct ws_tls *t, int r, const char *what)
{
	int saved = errno;

	switch (SSL_get_error(t->ssl, r)) {
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

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1)
		return 1;
	r = outcome(t, r, "TLS handshake failed");
	if (r == WS_TLS_ERROR || r == 0) {
		long v = SSL_get_verify_result(t->ssl);

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
					 X509_verify_cert_error_string(v));
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
	ERR_clear_error();
	r = SSL_read(t->ssl, p, (int)n);
	if (r > 0)
		return r;
	return outcome(t, r, "TLS read");
}

long ws_tls_write(struct ws_tls *t, const void *p, size_t n)
{
	int r;

	if (n > 1 << 30)
		n = 1 << 30;
	ERR_clear_error();
	r = SSL_write(t->ssl, p, (int)n);
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
	return t && t->ssl ? SSL_get_version(t->ssl) : "";
}

void ws_tls_free(struct ws_tls *t)
{
	if (!t)
		return;
	if (t->ssl) {
		if (SSL_is_init_finished(t->ssl))
			SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	ERR_clear_error();
	free(t);
}
