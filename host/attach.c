// SPDX-License-Identifier: MIT
/*
 * Attaching a domain's share. The <filesystem> goes in with
 * virDomainAttachDeviceFlags and out with virDomainDetachDeviceFlags; the
 * <memoryBacking> virtiofs needs is edited in the definition's XML tree
 * (libxml2) and defined again. What attach added is recorded in the
 * domain's metadata, so that detach removes that and nothing else.
 */
#include "host/attach.h"

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
	xml = virDomainGetXMLDesc(s->dom, VIR_DOMAIN_XML_INACTIVE);
	if (!xml)
		return log_error(-EIO, "cannot read domain '%s': %s", domain, virGetLastErrorMessage());
	s->doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
	free(xml);
	return s->doc ? 0 : log_error(-EIO, "cannot parse domain '%s''s XML", domain);
}

static int session_open(struct session *s, const char *uri, const char *domain)
{
	memset(s, 0, sizeof(*s));
	virSetErrorFunc(NULL, quiet_libvirt);
	s->conn = virConnectOpen(uri);
	if (!s->conn)
		return log_error(-ENOTCONN, "cannot connect to libvirt at '%s': %s", uri, virGetLastErrorMessage());
	s->dom = virDomainLookupByName(s->conn, domain);
	if (!s->dom) {
		log_error(-ENOENT, "no domain '%s' at '%s'", domain, uri);
		session_close(s);
		return -ENOENT;
	}
	if (virDomainIsPersistent(s->dom) != 1) {
		log_error(-EINVAL, "domain '%s' is transient: only a defined domain can have a share "
			  "added (a transient one gets its directory from the hook)", domain);
		session_close(s);
		return -EINVAL;
	}
	return load_definition(s, domain);
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

/* Serialise @node alone. Free with xmlFree. */
static char *node_xml(xmlDocPtr doc, xmlNodePtr node)
{
	xmlBufferPtr buf = xmlBufferCreate();
	char *out = NULL;

	if (buf && xmlNodeDump(buf, doc, node, 0, 0) >= 0)
		out = (char *)xmlStrdup(xmlBufferContent(buf));
	xmlBufferFree(buf);
	return out;
}

/* The <filesystem> element for the share, built as a tree so names are escaped. */
static char *filesystem_xml(const char *source, enum share_transport transport, bool readonly)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr fs = xmlNewNode(NULL, (const xmlChar *)"filesystem"), n;
	char *out;

	xmlDocSetRootElement(doc, fs);
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
	out = node_xml(doc, fs);
	xmlFreeDoc(doc);
	return out;
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

int share_attach(const char *uri, const char *domain, const char *mountpoint,
		 enum share_transport transport, bool readonly)
{
	struct session s;
	char source[4096], meta[256];
	char *fs = NULL;
	unsigned memory_added = 0;
	int ret;

	ret = session_open(&s, uri, domain);
	if (ret < 0)
		return ret;
	if (find_node(s.doc, SHARE_XPATH)) {
		log_info("domain '%s' already has the vpowercap share; nothing to do", domain);
		goto out;
	}
	if (transport == SHARE_VIRTIOFS) {
		xmlNodePtr mb_source = find_node(s.doc, "/domain/memoryBacking/source");
		xmlNodePtr mb_access = find_node(s.doc, "/domain/memoryBacking/access");
		xmlChar *type = mb_source ? xmlGetProp(mb_source, (const xmlChar *)"type") : NULL;
		xmlChar *mode = mb_access ? xmlGetProp(mb_access, (const xmlChar *)"mode") : NULL;
		bool conflict = (type && xmlStrcmp(type, (const xmlChar *)"memfd") &&
				 xmlStrcmp(type, (const xmlChar *)"file")) ||
				(mode && xmlStrcmp(mode, (const xmlChar *)"shared"));

		xmlFree(type);
		xmlFree(mode);
		if (conflict) {
			ret = log_error(-EINVAL, "domain '%s' has a <memoryBacking> virtiofs cannot use "
					"(it needs shared memory): change it, or attach with --9p", domain);
			goto out;
		}
		memory_added = add_memory_backing(s.doc);
		if (memory_added && (ret = define(&s, domain)) < 0)
			goto out;
	}
	snprintf(source, sizeof(source), "%s/%s", mountpoint, domain);
	fs = filesystem_xml(source, transport, readonly);
	if (!fs || virDomainAttachDeviceFlags(s.dom, fs, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
		ret = log_error(-EIO, "cannot add the share to domain '%s': %s", domain,
				fs ? virGetLastErrorMessage() : "out of memory");
		goto out;
	}
	snprintf(meta, sizeof(meta), "<attach transport='%s' memory-backing-added='%u'/>",
		 transport_names[transport], memory_added);
	if (virDomainSetMetadata(s.dom, VIR_DOMAIN_METADATA_ELEMENT, meta, META_KEY, META_URI,
				 VIR_DOMAIN_AFFECT_CONFIG) < 0)
		log_warning("domain '%s': cannot record what was added (%s); detach will leave "
			    "<memoryBacking> alone", domain, virGetLastErrorMessage());
	log_info("domain '%s': vpowercap share added over %s (source '%s', tag '" SHARE_TAG "')%s; "
		 "it takes effect at the next start", domain, transport_names[transport], source,
		 memory_added ? ", with a shared memfd <memoryBacking>" : "");
out:
	xmlFree(fs);
	session_close(&s);
	return ret;
}

int share_detach(const char *uri, const char *domain)
{
	struct session s;
	xmlNodePtr node;
	char *fs = NULL, *meta, *added;
	unsigned memory_added = 0;
	int ret;

	ret = session_open(&s, uri, domain);
	if (ret < 0)
		return ret;
	node = find_node(s.doc, SHARE_XPATH);
	meta = virDomainGetMetadata(s.dom, VIR_DOMAIN_METADATA_ELEMENT, META_URI, VIR_DOMAIN_AFFECT_CONFIG);
	added = meta ? strstr(meta, "memory-backing-added=\"") : NULL;
	if (added)
		memory_added = (unsigned)strtoul(added + 22, NULL, 10);
	free(meta);
	if (!node) {
		log_info("domain '%s' has no vpowercap share; nothing to do", domain);
		goto out;
	}
	fs = node_xml(s.doc, node);
	if (!fs || virDomainDetachDeviceFlags(s.dom, fs, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
		ret = log_error(-EIO, "cannot remove the share from domain '%s': %s", domain,
				fs ? virGetLastErrorMessage() : "out of memory");
		goto out;
	}
	if ((ret = load_definition(&s, domain)) < 0)
		goto out;
	if (memory_added) {
		xmlNodePtr mb;

		if (memory_added & ADDED_SOURCE)
			remove_node(s.doc, "/domain/memoryBacking/source");
		if (memory_added & ADDED_ACCESS)
			remove_node(s.doc, "/domain/memoryBacking/access");
		mb = find_node(s.doc, "/domain/memoryBacking");
		if ((memory_added & ADDED_ELEMENT) && mb && !xmlFirstElementChild(mb))
			remove_node(s.doc, "/domain/memoryBacking");
		if ((ret = define(&s, domain)) < 0)
			goto out;
	}
	virDomainSetMetadata(s.dom, VIR_DOMAIN_METADATA_ELEMENT, NULL, NULL, META_URI,
			     VIR_DOMAIN_AFFECT_CONFIG);
	log_info("domain '%s': vpowercap share removed%s", domain,
		 memory_added ? ", with the <memoryBacking> attach added" : "");
out:
	xmlFree(fs);
	session_close(&s);
	return ret;
}
