/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names and character classes: the byte class table, header name <-> id
 * (long and compact forms), method names and default reason phrases.
 */

#include "parser_int.h"

#define T  SS_C_TOKEN
#define U  SS_C_UNRES
#define US SS_C_USER
#define PW SS_C_PASS
#define PA SS_C_PARAM
#define HV SS_C_HNV
#define HO SS_C_HOST
#define SC SS_C_SCHEME
#define UC SS_C_URIC
#define TL SS_C_TEL
/* What every alphanumeric byte is. */
#define ALNUM (T | U | US | PW | PA | HV | HO | SC | UC)

/* Byte classes after RFC 3261 25.1; GNU range designators keep it short. */
const uint16_t ss_sipp_ctype[256] = {
    ['0' ... '9'] = ALNUM | SS_C_DIGIT | TL,
    ['a' ... 'f'] = ALNUM | SS_C_ALPHA | TL,
    ['g' ... 'z'] = ALNUM | SS_C_ALPHA,
    ['A' ... 'F'] = ALNUM | SS_C_ALPHA | TL,
    ['G' ... 'Z'] = ALNUM | SS_C_ALPHA,
    ['-'] = T | U | US | PW | PA | HV | HO | SC | UC | TL,
    ['.'] = T | U | US | PW | PA | HV | HO | SC | UC | TL,
    ['!'] = T | U | US | PW | PA | HV | UC,
    ['%'] = T,
    ['*'] = T | U | US | PW | PA | HV | UC | TL,
    ['_'] = T | U | US | PW | PA | HV | HO | UC,
    ['+'] = T | US | PW | PA | HV | SC | UC | TL,
    ['`'] = T,
    ['\''] = T | U | US | PW | PA | HV | UC,
    ['~'] = T | U | US | PW | PA | HV | UC,
    ['('] = U | US | PW | PA | HV | UC | TL,
    [')'] = U | US | PW | PA | HV | UC | TL,
    ['&'] = US | PW | PA | HV | UC,
    ['='] = US | PW | HV | UC,
    ['$'] = US | PW | PA | HV | UC,
    [','] = US | PW | UC,
    [';'] = US | UC,
    ['?'] = US | HV | UC,
    ['/'] = US | PA | HV | UC,
    [':'] = PA | HV | UC,
    ['['] = PA | HV | UC,
    [']'] = PA | HV | UC,
    ['@'] = UC,
    ['#'] = UC | TL,
    [' '] = SS_C_LWS,
    ['\t'] = SS_C_LWS,
    ['\r'] = SS_C_LWS,
    ['\n'] = SS_C_LWS,
};

/*
 * qdtext is any byte but '"' and '\'; a quoted-pair escapes any byte but
 * CR and LF (RFC 3261 25.1), which is how intmeth's NUL and DEL survive.
 */
const char *ss_sipp_scan_quoted(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			if (++p == end || *p == '\r' || *p == '\n')
				return NULL;
		}
	}
	return NULL;
}

const char *ss_sipp_digits(const char *p, const char *end, uint64_t max,
			   uint64_t *out, int *over)
{
	const char *b = p;
	uint64_t v = 0;

	*over = 0;
	for (; p < end && ss_sipp_is(*p, SS_C_DIGIT); p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10) {
			v = max;
			*over = 1;
		} else {
			v = v * 10 + (uint64_t)(*p - '0');
		}
	}
	*out = v;
	return p == b ? NULL : p;
}

static int is_ipv4(const char *b, const char *e)
{
	unsigned dots = 0, val = 0, digits = 0;

	for (; b < e; b++) {
		if (*b == '.') {
			if (!digits)
				return 0;
			dots++;
			val = digits = 0;
		} else if (ss_sipp_is(*b, SS_C_DIGIT)) {
			val = val * 10 + (unsigned)(*b - '0');
			if (++digits > 3 || val > 255)
				return 0;
		} else {
			return 0;
		}
	}
	return dots == 3 && digits;
}

const char *ss_sipp_host(const char *p, const char *end, ss_str_t *host,
			 ss_sip_host_type_t *type)
{
	const char *b = p;

	if (p < end && *p == '[') {
		for (p++; p < end && *p != ']'; p++)
			if (ss_sip_hexval((unsigned char)*p) < 0 && *p != ':' &&
			    *p != '.')
				return NULL;
		if (p == end || p - b < 3)
			return NULL;
		p++;
		*type = SS_SIP_HOST_IPV6;
	} else {
		p = ss_sipp_scan(p, end, SS_C_HOST);
		if (p == b)
			return NULL;
		*type = is_ipv4(b, p) ? SS_SIP_HOST_IPV4 : SS_SIP_HOST_NAME;
	}
	*host = ss_sipp_slice(b, p);
	return p;
}

#define N(id, lit) [id] = {lit, sizeof(lit) - 1}

static const struct hdr_name {
	const char *name;
	size_t len;
} hdr_names[SS_SIP_HDR_COUNT] = {
    N(SS_SIP_HDR_VIA, "Via"),
    N(SS_SIP_HDR_FROM, "From"),
    N(SS_SIP_HDR_TO, "To"),
    N(SS_SIP_HDR_CALL_ID, "Call-ID"),
    N(SS_SIP_HDR_CSEQ, "CSeq"),
    N(SS_SIP_HDR_CONTACT, "Contact"),
    N(SS_SIP_HDR_MAX_FORWARDS, "Max-Forwards"),
    N(SS_SIP_HDR_ROUTE, "Route"),
    N(SS_SIP_HDR_RECORD_ROUTE, "Record-Route"),
    N(SS_SIP_HDR_CONTENT_LENGTH, "Content-Length"),
    N(SS_SIP_HDR_CONTENT_TYPE, "Content-Type"),
    N(SS_SIP_HDR_EXPIRES, "Expires"),
    N(SS_SIP_HDR_MIN_EXPIRES, "Min-Expires"),
    N(SS_SIP_HDR_AUTHORIZATION, "Authorization"),
    N(SS_SIP_HDR_PROXY_AUTHORIZATION, "Proxy-Authorization"),
    N(SS_SIP_HDR_WWW_AUTHENTICATE, "WWW-Authenticate"),
    N(SS_SIP_HDR_PROXY_AUTHENTICATE, "Proxy-Authenticate"),
    N(SS_SIP_HDR_AUTHENTICATION_INFO, "Authentication-Info"),
    N(SS_SIP_HDR_ALLOW, "Allow"),
    N(SS_SIP_HDR_SUPPORTED, "Supported"),
    N(SS_SIP_HDR_REQUIRE, "Require"),
    N(SS_SIP_HDR_PROXY_REQUIRE, "Proxy-Require"),
    N(SS_SIP_HDR_UNSUPPORTED, "Unsupported"),
    N(SS_SIP_HDR_USER_AGENT, "User-Agent"),
    N(SS_SIP_HDR_SERVER, "Server"),
    N(SS_SIP_HDR_PATH, "Path"),
    N(SS_SIP_HDR_SERVICE_ROUTE, "Service-Route"),
    N(SS_SIP_HDR_EVENT, "Event"),
    N(SS_SIP_HDR_ALLOW_EVENTS, "Allow-Events"),
    N(SS_SIP_HDR_SUBSCRIPTION_STATE, "Subscription-State"),
    N(SS_SIP_HDR_SUBJECT, "Subject"),
    N(SS_SIP_HDR_ACCEPT, "Accept"),
    N(SS_SIP_HDR_ACCEPT_ENCODING, "Accept-Encoding"),
    N(SS_SIP_HDR_ACCEPT_LANGUAGE, "Accept-Language"),
    N(SS_SIP_HDR_CONTENT_ENCODING, "Content-Encoding"),
    N(SS_SIP_HDR_CONTENT_DISPOSITION, "Content-Disposition"),
    N(SS_SIP_HDR_CONTENT_LANGUAGE, "Content-Language"),
    N(SS_SIP_HDR_MIME_VERSION, "MIME-Version"),
    N(SS_SIP_HDR_RETRY_AFTER, "Retry-After"),
    N(SS_SIP_HDR_DATE, "Date"),
    N(SS_SIP_HDR_TIMESTAMP, "Timestamp"),
    N(SS_SIP_HDR_ORGANIZATION, "Organization"),
    N(SS_SIP_HDR_WARNING, "Warning"),
    N(SS_SIP_HDR_PRIORITY, "Priority"),
    N(SS_SIP_HDR_REPLY_TO, "Reply-To"),
    N(SS_SIP_HDR_IN_REPLY_TO, "In-Reply-To"),
    N(SS_SIP_HDR_CALL_INFO, "Call-Info"),
    N(SS_SIP_HDR_ALERT_INFO, "Alert-Info"),
    N(SS_SIP_HDR_ERROR_INFO, "Error-Info"),
    N(SS_SIP_HDR_REFER_TO, "Refer-To"),
    N(SS_SIP_HDR_REFERRED_BY, "Referred-By"),
    N(SS_SIP_HDR_RSEQ, "RSeq"),
    N(SS_SIP_HDR_RACK, "RAck"),
    N(SS_SIP_HDR_REASON, "Reason"),
    N(SS_SIP_HDR_SESSION_EXPIRES, "Session-Expires"),
    N(SS_SIP_HDR_MIN_SE, "Min-SE"),
    N(SS_SIP_HDR_P_ASSERTED_IDENTITY, "P-Asserted-Identity"),
};

#undef N

const char *ss_sip_hdr_name(ss_sip_hdr_id_t id)
{
	return (unsigned)id < SS_SIP_HDR_COUNT ? hdr_names[id].name : NULL;
}

static ss_sip_hdr_id_t compact_form(int c)
{
	switch (ss_ascii_lower(c)) {
	case 'v':
		return SS_SIP_HDR_VIA;
	case 'f':
		return SS_SIP_HDR_FROM;
	case 't':
		return SS_SIP_HDR_TO;
	case 'i':
		return SS_SIP_HDR_CALL_ID;
	case 'm':
		return SS_SIP_HDR_CONTACT;
	case 'l':
		return SS_SIP_HDR_CONTENT_LENGTH;
	case 'c':
		return SS_SIP_HDR_CONTENT_TYPE;
	case 'e':
		return SS_SIP_HDR_CONTENT_ENCODING;
	case 's':
		return SS_SIP_HDR_SUBJECT;
	case 'k':
		return SS_SIP_HDR_SUPPORTED;
	case 'o':
		return SS_SIP_HDR_EVENT;
	case 'u':
		return SS_SIP_HDR_ALLOW_EVENTS;
	case 'r':
		return SS_SIP_HDR_REFER_TO;
	case 'b':
		return SS_SIP_HDR_REFERRED_BY;
	case 'x':
		return SS_SIP_HDR_SESSION_EXPIRES;
	default:
		return SS_SIP_HDR_OTHER;
	}
}

/*
 * Runs once per received header line, so it avoids a hash table that would
 * need building at start: the first letter and the length narrow the
 * candidates to one or two names before any string compare.
 */
ss_sip_hdr_id_t ss_sip_hdr_lookup(const char *name, size_t len)
{
	int c;

	if (len == 1)
		return compact_form((unsigned char)name[0]);
	if (len < 2)
		return SS_SIP_HDR_OTHER;
	c = ss_ascii_lower((unsigned char)name[0]);
	for (unsigned id = 1; id < SS_SIP_HDR_COUNT; id++) {
		const struct hdr_name *n = &hdr_names[id];

		if (n->len == len &&
		    ss_ascii_lower((unsigned char)n->name[0]) == c &&
		    ss_str_caseeq((ss_str_t){n->name, len},
				  (ss_str_t){name, len}))
			return (ss_sip_hdr_id_t)id;
	}
	return SS_SIP_HDR_OTHER;
}

static const char *const method_names[SS_SIP_METHOD_COUNT] = {
    [SS_SIP_METHOD_UNKNOWN] = NULL,
    [SS_SIP_METHOD_INVITE] = "INVITE",
    [SS_SIP_METHOD_ACK] = "ACK",
    [SS_SIP_METHOD_BYE] = "BYE",
    [SS_SIP_METHOD_CANCEL] = "CANCEL",
    [SS_SIP_METHOD_REGISTER] = "REGISTER",
    [SS_SIP_METHOD_OPTIONS] = "OPTIONS",
    [SS_SIP_METHOD_INFO] = "INFO",
    [SS_SIP_METHOD_PRACK] = "PRACK",
    [SS_SIP_METHOD_UPDATE] = "UPDATE",
    [SS_SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
    [SS_SIP_METHOD_NOTIFY] = "NOTIFY",
    [SS_SIP_METHOD_REFER] = "REFER",
    [SS_SIP_METHOD_MESSAGE] = "MESSAGE",
    [SS_SIP_METHOD_PUBLISH] = "PUBLISH",
};

ss_sip_method_t ss_sip_method_lookup(const char *s, size_t len)
{
	for (unsigned m = 1; m < SS_SIP_METHOD_COUNT; m++) {
		const char *n = method_names[m];

		if (len && n[0] == s[0] && strlen(n) == len &&
		    memcmp(n, s, len) == 0)
			return (ss_sip_method_t)m;
	}
	return SS_SIP_METHOD_UNKNOWN;
}

const char *ss_sip_method_name(ss_sip_method_t m)
{
	return (unsigned)m < SS_SIP_METHOD_COUNT ? method_names[m] : NULL;
}

const char *ss_sip_reason_phrase(unsigned code)
{
	switch (code) {
	case 100:
		return "Trying";
	case 180:
		return "Ringing";
	case 181:
		return "Call Is Being Forwarded";
	case 182:
		return "Queued";
	case 183:
		return "Session Progress";
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 300:
		return "Multiple Choices";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Moved Temporarily";
	case 305:
		return "Use Proxy";
	case 380:
		return "Alternative Service";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 410:
		return "Gone";
	case 413:
		return "Request Entity Too Large";
	case 414:
		return "Request-URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Unsupported URI Scheme";
	case 420:
		return "Bad Extension";
	case 421:
		return "Extension Required";
	case 423:
		return "Interval Too Brief";
	case 480:
		return "Temporarily Unavailable";
	case 481:
		return "Call/Transaction Does Not Exist";
	case 482:
		return "Loop Detected";
	case 483:
		return "Too Many Hops";
	case 484:
		return "Address Incomplete";
	case 485:
		return "Ambiguous";
	case 486:
		return "Busy Here";
	case 487:
		return "Request Terminated";
	case 488:
		return "Not Acceptable Here";
	case 491:
		return "Request Pending";
	case 493:
		return "Undecipherable";
	case 500:
		return "Server Internal Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Server Time-out";
	case 505:
		return "Version Not Supported";
	case 513:
		return "Message Too Large";
	case 600:
		return "Busy Everywhere";
	case 603:
		return "Decline";
	case 604:
		return "Does Not Exist Anywhere";
	case 606:
		return "Not Acceptable";
	default:
		break;
	}
	if (code >= 100 && code < 200)
		return "Progress";
	if (code >= 200 && code < 300)
		return "OK";
	if (code >= 300 && code < 400)
		return "Redirection";
	if (code >= 400 && code < 500)
		return "Request Failure";
	if (code >= 500 && code < 600)
		return "Server Failure";
	return "Global Failure";
}
