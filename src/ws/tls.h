#ifndef LOGWHY_WS_TLS_H
#define LOGWHY_WS_TLS_H

#include <stddef.h>

/*
 * TLS for the probe's client side (OpenSSL), over a non-blocking socket
 * the caller owns and polls: every call returns at once, and says which
 * way to poll when it would block. The peer is verified against the
 * system's CA store (OpenSSL's default paths, which honour SSL_CERT_FILE
 * and SSL_CERT_DIR) or cafile, and its certificate must name the host
 * (DNS name, or IP address for an IP literal); the host goes out as SNI
 * unless it is an IP literal (RFC 6066). insecure skips both checks.
 */
struct ws_tls_opts {
	int insecure;
	const char *cafile;      /* PEM bundle to trust instead of the system's, or NULL */
};

struct ws_tls;

#define WS_TLS_ERR_MAX 384

/* A session on fd for host. NULL with err filled (a bad cafile, no memory). */
struct ws_tls *ws_tls_new(int fd, const char *host, const struct ws_tls_opts *o,
			  char *err, size_t n);

/*
 * Results of the calls below: > 0 done (bytes for read and write; 1 for
 * the handshake), 0 end of stream (read only), WS_TLS_WANT_READ or
 * WS_TLS_WANT_WRITE (poll the fd that way and call again), WS_TLS_ERROR
 * (ws_tls_error says what, readable: "certificate verify failed:
 * self-signed certificate").
 */
#define WS_TLS_WANT_READ (-2)
#define WS_TLS_WANT_WRITE (-3)
#define WS_TLS_ERROR (-1)

int ws_tls_handshake(struct ws_tls *t);
long ws_tls_read(struct ws_tls *t, void *p, size_t n);
long ws_tls_write(struct ws_tls *t, const void *p, size_t n);
const char *ws_tls_error(const struct ws_tls *t);
/* Protocol and cipher once the handshake is done ("TLSv1.3"), or "". */
const char *ws_tls_version(const struct ws_tls *t);
/* Sends close_notify (best effort, no wait) and frees; the fd stays open. */
void ws_tls_free(struct ws_tls *t);    /* NULL-safe */

#endif
