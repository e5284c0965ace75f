// SPDX-License-Identifier: MIT
/*
 * Attaching a domain's share. The <filesystem>, and the <memoryBacking>
 * virtiofs needs, are edited in the definition's XML tree (libxml2), which
 * is defined again whole: libvirt checks it at once, and a refusal leaves
 * the domain as it was. What attach added is recorded in the domain's
 * metadata, so that detach removes that and nothing else.
 */
#include "host/attach_i.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define META_URI "urn:vpowercap:attach:1"
#define META_KEY "vpowercap"
#define VIRTIOFSD "/usr/lib/qemu/virtiofsd"

static const char *const transport_names[] = {
	[SHARE_9P] = "9p",
	[SHARE_VIRTIOFS] = "virtiofs",
};

static void quiet_libvirt(void *arg, virErrorPtr err)
{
	(void)arg;
	(void)err;
}

struct session {
	virConnectPtr conn;
	virDomainPtr dom;
	xmlDocPtr doc;
};

static void session_close(struct session *s)
{
	if (s->doc)
		xmlFreeDoc(s->doc);
	if (s->dom)
		virDomainFree(s->dom);
	if (s->conn)
		virConnectClose(s->conn);
	memset(s, 0, sizeof(*s));
}

/* Parse the domain's persistent definition into s->doc. */
static int load_definition(struct session *s, const char *domain)
{
	char *xml;

	if (s->doc)
		xmlFreeDoc(s->doc);
	s->doc = NULL;
	/* SECURE: defined again from this, it must keep its passwords (VNC, SPICE) */
	xml = virDomainGetXMLDesc(s->dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
	if (!xml)
		return log_error(-EIO, "cannot read domain '%s': %s", domain, virGetLastErrorMessage());
	s->doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
	free(xml);
	return s->doc ? 0 : log_error(-EIO, "cannot parse domain '%s''s XML", domain);
}

/* Take @dom (the caller's reference passes to @s) on @conn (referenced anew). */
static int session_take(struct session *s, virConnectPtr conn, virDomainPtr dom, const char *domain)
{
	memset(s, 0, sizeof(*s));
	virConnectRef(conn);
	s->conn = conn;
	s->dom = dom;
	if (virDomainIsPersistent(s->dom) != 1) {
		log_error(-EINVAL, "domain '%s' is transient: only a defined domain can have a share "
			  "added (a transient one gets its directory from the hook)", domain);
		session_close(s);
		return -EINVAL;
	}
	return load_definition(s, domain);
}

static int session_open(struct session *s, const char *uri, const char *domain)
{
	virConnectPtr conn;
	virDomainPtr dom;
	int ret;

	memset(s, 0, sizeof(*s));
	virSetErrorFunc(NULL, quiet_libvirt);
	conn = virConnectOpen(uri);
	if (!conn)
		return log_error(-ENOTCONN, "cannot connect to libvirt at '%s': %s", uri, virGetLastErrorMessage());
	dom = virDomainLookupByName(conn, domain);
	if (!dom) {
		virConnectClose(conn);
		return log_error(-ENOENT, "no domain '%s' at '%s'", domain, uri);
	}
	ret = session_take(s, conn, dom, domain);
	virConnectClose(conn);  /* the session holds its own reference */
	return ret;
}

/* The first node matching @xpath, or NULL. */
static xmlNodePtr find_node(xmlDocPtr doc, const char *xpath)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = ctx ? xmlXPathEvalExpression((const xmlChar *)xpath, ctx) : NULL;
	xmlNodePtr node = NULL;

	if (res && res->nodesetval && res->nodesetval->nodeNr > 0)
		node = res->nodesetval->nodeTab[0];
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	return node;
}

#define SHARE_XPATH "/domain/devices/filesystem[target/@dir='" SHARE_TAG "']"

/* Add the share's <filesystem> to the definition's <devices>; libxml2 escapes @source. */
static int add_filesystem(xmlDocPtr doc, const char *source, enum share_transport transport, bool readonly)
{
	xmlNodePtr devices = find_node(doc, "/domain/devices"), fs, n;

	if (!devices)
		devices = xmlNewChild(xmlDocGetRootElement(doc), NULL, (const xmlChar *)"devices", NULL);
	fs = devices ? xmlNewChild(devices, NULL, (const xmlChar *)"filesystem", NULL) : NULL;
	if (!fs)
		return -ENOMEM;
	xmlNewProp(fs, (const xmlChar *)"type", (const xmlChar *)"mount");
	xmlNewProp(fs, (const xmlChar *)"accessmode", (const xmlChar *)"passthrough");
	n = xmlNewChild(fs, NULL, (const xmlChar *)"driver", NULL);
	if (transport == SHARE_VIRTIOFS) {
		xmlNewProp(n, (const xmlChar *)"type", (const xmlChar *)"virtiofs");
		n = xmlNewChild(fs, NULL, (const xmlChar *)"binary", NULL);
		if (access(VIRTIOFSD, X_OK) == 0)
			xmlNewProp(n, (const xmlChar *)"path", (const xmlChar *)VIRTIOFSD);
		/* cache=none: every read reaches the daemon's tree */
		n = xmlNewChild(n, NULL, (const xmlChar *)"cache", NULL);
		xmlNewProp(n, (const xmlChar *)"mode", (const xmlChar *)"none");
	} else {
		xmlNewProp(n, (const xmlChar *)"type", (const xmlChar *)"path");
	}
	n = xmlNewChild(fs, NULL, (const xmlChar *)"source", NULL);
	xmlNewProp(n, (const xmlChar *)"dir", (const xmlChar *)source);
	n = xmlNewChild(fs, NULL, (const xmlChar *)"target", NULL);
	xmlNewProp(n, (const xmlChar *)"dir", (const xmlChar *)SHARE_TAG);
	/* libvirt 9 refuses <readonly/> on virtiofs; the tree is read-only anyway */
	if (readonly && transport == SHARE_9P)
		xmlNewChild(fs, NULL, (const xmlChar *)"readonly", NULL);
	return 0;
}

/* What attach added to <memoryBacking>, as recorded in the metadata. */
enum {
	ADDED_ELEMENT = 1,
	ADDED_SOURCE = 2,
	ADDED_ACCESS = 4,
};

/* Give the definition a shared memfd <memoryBacking>; returns what was added. */
static unsigned add_memory_backing(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr mb = find_node(doc, "/domain/memoryBacking"), n;
	unsigned added = 0;

	if (!mb) {
		mb = xmlNewChild(root, NULL, (const xmlChar *)"memoryBacking", NULL);
		added |= ADDED_ELEMENT;
	}
	if (!find_node(doc, "/domain/memoryBacking/source")) {
		n = xmlNewChild(mb, NULL, (const xmlChar *)"source", NULL);
		xmlNewProp(n, (const xmlChar *)"type", (const xmlChar *)"memfd");
		added |= ADDED_SOURCE;
	}
	if (!find_node(doc, "/domain/memoryBacking/access")) {
		n = xmlNewChild(mb, NULL, (const xmlChar *)"access", NULL);
		xmlNewProp(n, (const xmlChar *)"mode", (const xmlChar *)"shared");
		added |= ADDED_ACCESS;
	}
	return added;
}

/* Remove the node at @xpath, if any. */
static void remove_node(xmlDocPtr doc, const char *xpath)
{
	xmlNodePtr n = find_node(doc, xpath);

	if (n) {
		xmlUnlinkNode(n);
		xmlFreeNode(n);
	}
}

static int define(struct session *s, const char *domain)
{
	xmlChar *xml = NULL;
	virDomainPtr dom;
	int len;

	xmlDocDumpMemory(s->doc, &xml, &len);
	if (!xml)
		return log_error(-ENOMEM, "out of memory");
	dom = virDomainDefineXML(s->conn, (const char *)xml);
	xmlFree(xml);
	if (!dom)
		return log_error(-EIO, "cannot redefine domain '%s': %s", domain, virGetLastErrorMessage());
	virDomainFree(s->dom);
	s->dom = dom;
	return load_definition(s, domain);
}

/*
 * Add the share to the domain of @s. Returns 1 when it was added, 0 when
 * the domain had it already, -errno after logging.
 */
static int attach_session(struct session *s, const char *domain, const char *mountpoint,
			  enum share_transport transport, bool readonly)
{
	char source[4096], meta[256], uuid[VIR_UUID_STRING_BUFLEN];
	unsigned memory_added = 0;
	int ret;

	if (find_node(s->doc, SHARE_XPATH)) {
		log_info("domain '%s' already has the vpowercap share; nothing to do", domain);
		return 0;
	}
	if (transport == SHARE_VIRTIOFS) {
		xmlNodePtr mb_source = find_node(s->doc, "/domain/memoryBacking/source");
		xmlNodePtr mb_access = find_node(s->doc, "/domain/memoryBacking/access");
		xmlChar *type = mb_source ? xmlGetProp(mb_source, (const xmlChar *)"type") : NULL;
		xmlChar *mode = mb_access ? xmlGetProp(mb_access, (const xmlChar *)"mode") : NULL;
		bool conflict = (type && xmlStrcmp(type, (const xmlChar *)"memfd") &&
				 xmlStrcmp(type, (const xmlChar *)"file")) ||
				(mode && xmlStrcmp(mode, (const xmlChar *)"shared"));

		xmlFree(type);
		xmlFree(mode);
		if (conflict)
			return log_error(-EINVAL, "domain '%s' has a <memoryBacking> virtiofs cannot use "
					 "(it needs shared memory): change it, or attach with --9p", domain);
		memory_added = add_memory_backing(s->doc);
	}
	/* by UUID: a rename keeps it, and a new domain of the old name gets its own */
	if (virDomainGetUUIDString(s->dom, uuid) < 0)
		return log_error(-EIO, "cannot read domain '%s''s UUID: %s", domain, virGetLastErrorMessage());
	if ((size_t)snprintf(source, sizeof(source), "%s/%s", mountpoint, uuid) >= sizeof(source))
		return log_error(-ENAMETOOLONG, "domain '%s': the share's path under '%s' is too long",
				 domain, mountpoint);
	if (add_filesystem(s->doc, source, transport, readonly) < 0)
		return log_error(-ENOMEM, "out of memory");
	/*
	 * One new definition with the <filesystem> and the <memoryBacking>
	 * together: libvirt checks it whole, and a refusal leaves the domain
	 * as it was.
	 */
	ret = define(s, domain);
	if (ret < 0)
		return log_error(ret, "cannot add the share to domain '%s'", domain);
	snprintf(meta, sizeof(meta), "<attach transport='%s' memory-backing-added='%u'/>",
		 transport_names[transport], memory_added);
	if (virDomainSetMetadata(s->dom, VIR_DOMAIN_METADATA_ELEMENT, meta, META_KEY, META_URI,
				 VIR_DOMAIN_AFFECT_CONFIG) < 0)
		log_warning("domain '%s': cannot record what was added (%s); detach will leave "
			    "<memoryBacking> alone", domain, virGetLastErrorMessage());
	log_info("domain '%s': vpowercap share added over %s (source '%s', tag '" SHARE_TAG "')%s; "
		 "it takes effect at the next start", domain, transport_names[transport], source,
		 memory_added ? ", with a shared memfd <memoryBacking>" : "");
	return 1;
}

int share_attach(const char *uri, const char *domain, const char *mountpoint,
		 enum share_transport transport, bool readonly)
{
	struct session s;
	int ret;

	ret = session_open(&s, uri, domain);
	if (ret < 0)
		return ret;
	ret = attach_session(&s, domain, mountpoint, transport, readonly);
	session_close(&s);
	return ret < 0 ? ret : 0;
}

int share_attach_domain(virConnectPtr conn, virDomainPtr dom, const char *mountpoint,
			enum share_transport transport, bool readonly)
{
	const char *name = virDomainGetName(dom);
	struct session s;
	int ret;

	if (!name || virDomainRef(dom) < 0)
		return log_error(-ENOENT, "a domain vanished before its share could be added");
	ret = session_take(&s, conn, dom, name);
	if (ret < 0)
		return ret;
	ret = attach_session(&s, name, mountpoint, transport, readonly);
	session_close(&s);
	return ret;
}

int share_attach_all(const char *uri, const char *mountpoint, enum share_transport transport,
		     bool readonly)
{
	virConnectPtr conn;
	virDomainPtr *doms = NULL;
	int n, ret = 0, added = 0, had = 0, failed = 0;

	virSetErrorFunc(NULL, quiet_libvirt);
	conn = virConnectOpen(uri);
	if (!conn)
		return log_error(-ENOTCONN, "cannot connect to libvirt at '%s': %s", uri, virGetLastErrorMessage());
	n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
	if (n < 0) {
		ret = log_error(-EIO, "cannot list the domains at '%s': %s", uri, virGetLastErrorMessage());
		goto out;
	}
	/* each is reported by attach_session; one that fails does not stop the rest */
	for (int i = 0; i < n; i++) {
		int r = share_attach_domain(conn, doms[i], mountpoint, transport, readonly);

		if (r < 0 && !ret)
			ret = r;
		failed += r < 0;
		added += r > 0;
		had += r == 0;
		virDomainFree(doms[i]);
	}
	free(doms);
	log_info("attach --all: %d domain%s given the share, %d had it already, %d failed", added,
		 added == 1 ? "" : "s", had, failed);
out:
	virConnectClose(conn);
	return ret;
}

int share_detach(const char *uri, const char *domain)
{
	struct session s;
	char *meta, *added;
	unsigned memory_added = 0;
	int ret;

	ret = session_open(&s, uri, domain);
	if (ret < 0)
		return ret;
	meta = virDomainGetMetadata(s.dom, VIR_DOMAIN_METADATA_ELEMENT, META_URI, VIR_DOMAIN_AFFECT_CONFIG);
	added = meta ? strstr(meta, "memory-backing-added=\"") : NULL;
	if (added)
		memory_added = (unsigned)strtoul(added + 22, NULL, 10);
	free(meta);
	if (!find_node(s.doc, SHARE_XPATH)) {
		log_info("domain '%s' has no vpowercap share; nothing to do", domain);
		goto out;
	}
	remove_node(s.doc, SHARE_XPATH);
	if (memory_added) {
		xmlNodePtr mb;

		if (memory_added & ADDED_SOURCE)
			remove_node(s.doc, "/domain/memoryBacking/source");
		if (memory_added & ADDED_ACCESS)
			remove_node(s.doc, "/domain/memoryBacking/access");
		mb = find_node(s.doc, "/domain/memoryBacking");
		if ((memory_added & ADDED_ELEMENT) && mb && !xmlFirstElementChild(mb))
			remove_node(s.doc, "/domain/memoryBacking");
	}
	/* the record goes with what it describes, in the same definition */
	remove_node(s.doc, "/domain/metadata/*[namespace-uri()='" META_URI "']");
	ret = define(&s, domain);
	if (ret < 0) {
		log_error(ret, "cannot remove the share from domain '%s'", domain);
		goto out;
	}
	log_info("domain '%s': vpowercap share removed%s", domain,
		 memory_added ? ", with the <memoryBacking> attach added" : "");
out:
	session_close(&s);
	return ret;
}
