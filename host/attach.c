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

#include "common/channel.h"
#include "common/log.h"

#define META_URI "urn:vpowercap:attach:1"
#define META_KEY "vpowercap"
#define VIRTIOFSD "/usr/lib/qemu/virtiofsd"

static const char *const transport_names[] = {
	[SHARE_9P] = "9p",
	[SHARE_VIRTIOFS] = "virtiofs",
	[SHARE_CHANNEL] = "channel",
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
static int session_take(struct session *s, virConnectPtr conn, virDomainPtr dom, const char *domain,
			bool live_only)
{
	memset(s, 0, sizeof(*s));
	virConnectRef(conn);
	s->conn = conn;
	s->dom = dom;
	if (live_only)
		return 0;
	if (virDomainIsPersistent(s->dom) != 1) {
		log_error(-EINVAL, "domain '%s' is transient: only a defined domain can have a share "
			  "added (a transient one gets its directory from the hook)", domain);
		session_close(s);
		return -EINVAL;
	}
	return load_definition(s, domain);
}

static int session_open(struct session *s, const char *uri, const char *domain, bool live_only)
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
	ret = session_take(s, conn, dom, domain, live_only);
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
#define CHANNEL_XPATH "/domain/devices/channel[target/@name='" CHANNEL_NAME_DEFAULT "']"

/*
 * The channel: qemu connects to the tree server's socket (again within a
 * second when the server restarts), the guest reads the port. libvirt
 * leaves the socket's owner alone: it is the tree server's, for every VM.
 */
static int add_channel(xmlDocPtr doc, const char *socket_path)
{
	xmlNodePtr devices = find_node(doc, "/domain/devices"), ch, src, n;

	if (!devices)
		devices = xmlNewChild(xmlDocGetRootElement(doc), NULL, (const xmlChar *)"devices", NULL);
	ch = devices ? xmlNewChild(devices, NULL, (const xmlChar *)"channel", NULL) : NULL;
	if (!ch)
		return -ENOMEM;
	xmlNewProp(ch, (const xmlChar *)"type", (const xmlChar *)"unix");
	src = xmlNewChild(ch, NULL, (const xmlChar *)"source", NULL);
	xmlNewProp(src, (const xmlChar *)"mode", (const xmlChar *)"connect");
	xmlNewProp(src, (const xmlChar *)"path", (const xmlChar *)socket_path);
	n = xmlNewChild(src, NULL, (const xmlChar *)"reconnect", NULL);
	xmlNewProp(n, (const xmlChar *)"enabled", (const xmlChar *)"yes");
	xmlNewProp(n, (const xmlChar *)"timeout", (const xmlChar *)"1");
	n = xmlNewChild(src, NULL, (const xmlChar *)"seclabel", NULL);
	xmlNewProp(n, (const xmlChar *)"model", (const xmlChar *)"dac");
	xmlNewProp(n, (const xmlChar *)"relabel", (const xmlChar *)"no");
	n = xmlNewChild(ch, NULL, (const xmlChar *)"target", NULL);
	xmlNewProp(n, (const xmlChar *)"type", (const xmlChar *)"virtio");
	xmlNewProp(n, (const xmlChar *)"name", (const xmlChar *)CHANNEL_NAME_DEFAULT);
	return 0;
}

/* The channel's <channel> element alone, as a device for (de)tach calls. */
static char *channel_device_xml(const char *socket_path)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root = doc ? xmlNewNode(NULL, (const xmlChar *)"domain") : NULL;
	xmlBufferPtr buf = xmlBufferCreate();
	char *xml = NULL;

	if (root && buf) {
		xmlDocSetRootElement(doc, root);
		if (add_channel(doc, socket_path) == 0 &&
		    xmlNodeDump(buf, doc, find_node(doc, CHANNEL_XPATH), 0, 0) > 0)
			xml = strdup((const char *)xmlBufferContent(buf));
	}
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return xml;
}

/* Whether running domain @dom has the channel: 1, 0, or -errno. */
static int live_has_channel(virDomainPtr dom)
{
	char *xml = virDomainGetXMLDesc(dom, 0);
	xmlDocPtr doc;
	int has;

	if (!xml)
		return -EIO;
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
	free(xml);
	if (!doc)
		return -EIO;
	has = find_node(doc, CHANNEL_XPATH) != NULL;
	xmlFreeDoc(doc);
	return has;
}

/*
 * Hot-plug the channel into running domain @dom when it has none: 1 when
 * plugged, 0 when not running or there already, -errno after logging.
 */
static int plug_channel(virDomainPtr dom, const char *domain, const char *socket_path)
{
	char *xml;
	int has, ret;

	if (virDomainIsActive(dom) != 1)
		return 0;
	has = live_has_channel(dom);
	if (has < 0)
		return log_error(has, "cannot read running domain '%s': %s", domain, virGetLastErrorMessage());
	if (has)
		return 0;
	xml = channel_device_xml(socket_path);
	if (!xml)
		return log_error(-ENOMEM, "out of memory");
	ret = virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE);
	free(xml);
	if (ret < 0)
		return log_error(-EIO, "cannot hot-plug the vpowercap channel into running domain '%s': %s",
				 domain, virGetLastErrorMessage());
	log_info("domain '%s': vpowercap channel hot-plugged (port '" CHANNEL_NAME_DEFAULT "', socket '%s'); "
		 "the guest reads it now", domain, socket_path);
	return 1;
}

/* Take the channel out of running domain @dom, if it has it. */
static void unplug_channel(virDomainPtr dom, const char *domain, const char *socket_path)
{
	char *xml;

	if (virDomainIsActive(dom) != 1 || live_has_channel(dom) != 1)
		return;
	xml = channel_device_xml(socket_path);
	if (xml && virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE) < 0)
		log_warning("domain '%s': cannot take the channel out of the running domain (%s); it goes at "
			    "its next start", domain, virGetLastErrorMessage());
	free(xml);
}

/*
 * Say once what a 9p or virtiofs share does to live migration on this
 * host, from the versions found, not guessed: QEMU refuses to migrate a
 * guest that has a 9p share mounted, and migrates virtiofs only from 8.2
 * with a virtiofsd that says it can (--print-capabilities).
 */
static void warn_migration(virConnectPtr conn, enum share_transport transport)
{
	static bool said[SHARE_CHANNEL + 1];
	unsigned long version = 0;
	bool virtiofsd_migrates = false;
	char line[512];
	FILE *f;

	if (transport == SHARE_CHANNEL || said[transport])
		return;
	said[transport] = true;
	if (transport == SHARE_9P) {
		log_warning("a mounted 9p share blocks live migration (QEMU: \"Migration is disabled when VirtFS "
			    "export path ... is mounted in the guest\"): for domains that migrate, use --channel");
		return;
	}
	virConnectGetVersion(conn, &version);
	if ((f = popen(VIRTIOFSD " --print-capabilities 2>/dev/null", "r"))) {
		while (fgets(line, sizeof(line), f))
			virtiofsd_migrates |= strstr(line, "migrat") != NULL;
		pclose(f);
	}
	if (version < 8002000 || !virtiofsd_migrates)
		log_warning("virtiofs blocks live migration on this host (QEMU %lu.%lu, %s): it needs QEMU 8.2 "
			    "and a virtiofsd that migrates; for domains that migrate, use --channel",
			    version / 1000000, version / 1000 % 1000,
			    virtiofsd_migrates ? "virtiofsd migrates" : "virtiofsd without migration");
}

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
static int attach_channel(struct session *s, const char *domain, const struct share_request *req)
{
	int ret, plugged;

	if (!req->channel_socket || !req->channel_socket[0])
		return log_error(-EINVAL, "no channel socket: set channel_socket (the tree server's)");
	if (req->live_only || find_node(s->doc, CHANNEL_XPATH)) {
		plugged = plug_channel(s->dom, domain, req->channel_socket);
		if (plugged == 0 && !req->live_only)
			log_info("domain '%s' already has the vpowercap channel; nothing to do", domain);
		return plugged;
	}
	if (add_channel(s->doc, req->channel_socket) < 0)
		return log_error(-ENOMEM, "out of memory");
	ret = define(s, domain);
	if (ret < 0)
		return log_error(ret, "cannot add the channel to domain '%s'", domain);
	if (virDomainSetMetadata(s->dom, VIR_DOMAIN_METADATA_ELEMENT, "<attach transport='channel'/>", META_KEY,
				 META_URI, VIR_DOMAIN_AFFECT_CONFIG) < 0)
		log_warning("domain '%s': cannot record what was added (%s)", domain, virGetLastErrorMessage());
	log_info("domain '%s': vpowercap channel added (port '" CHANNEL_NAME_DEFAULT "', socket '%s')", domain,
		 req->channel_socket);
	plugged = plug_channel(s->dom, domain, req->channel_socket);
	return plugged < 0 ? plugged : 1;
}

/* @asked: the operator named this domain (not --all, not auto_attach). */
static int attach_session(struct session *s, const char *domain, const struct share_request *req, bool asked)
{
	char source[4096], meta[256], uuid[VIR_UUID_STRING_BUFLEN];
	enum share_transport transport = req->transport;
	const char *mountpoint = req->mountpoint;
	bool readonly = req->readonly;
	unsigned memory_added = 0;
	xmlNodePtr existing;
	int ret;

	if (transport == SHARE_CHANNEL)
		return attach_channel(s, domain, req);
	warn_migration(s->conn, transport);
	if ((existing = find_node(s->doc, SHARE_XPATH))) {
		xmlNodePtr driver = find_node(s->doc, SHARE_XPATH "/driver");
		xmlChar *type = driver ? xmlGetProp(driver, (const xmlChar *)"type") : NULL;
		bool is_virtiofs = type && !xmlStrcmp(type, (const xmlChar *)"virtiofs");

		xmlFree(type);
		/* asked for this domain, the other transport is an error; for --all or auto_attach, a note */
		if (is_virtiofs != (transport == SHARE_VIRTIOFS)) {
			log_msg(asked ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING,
				"domain '%s' has the vpowercap share over %s, not %s: nothing changed; to "
				"change it, run 'vpowercapd detach %s', then 'vpowercapd attach --%s %s'", domain,
				is_virtiofs ? "virtiofs" : "9p", transport_names[transport], domain,
				transport_names[transport], domain);
			return asked ? -EEXIST : 0;
		}
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

int share_attach(const char *uri, const char *domain, const struct share_request *req)
{
	struct session s;
	int ret;

	ret = session_open(&s, uri, domain, req->live_only);
	if (ret < 0)
		return ret;
	ret = attach_session(&s, domain, req, true);
	session_close(&s);
	return ret < 0 ? ret : 0;
}

int share_attach_domain(virConnectPtr conn, virDomainPtr dom, const struct share_request *req)
{
	const char *name = virDomainGetName(dom);
	struct session s;
	int ret;

	if (!name || virDomainRef(dom) < 0)
		return log_error(-ENOENT, "a domain vanished before its share could be added");
	ret = session_take(&s, conn, dom, name, req->live_only);
	if (ret < 0)
		return ret;
	ret = attach_session(&s, name, req, false);
	session_close(&s);
	return ret;
}

int share_attach_all(const char *uri, const struct share_request *req)
{
	virConnectPtr conn;
	virDomainPtr *doms = NULL;
	int n, ret = 0, added = 0, had = 0, failed = 0;

	virSetErrorFunc(NULL, quiet_libvirt);
	conn = virConnectOpen(uri);
	if (!conn)
		return log_error(-ENOTCONN, "cannot connect to libvirt at '%s': %s", uri, virGetLastErrorMessage());
	n = virConnectListAllDomains(conn, &doms, req->live_only ? VIR_CONNECT_LIST_DOMAINS_ACTIVE :
					   VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
	if (n < 0) {
		ret = log_error(-EIO, "cannot list the domains at '%s': %s", uri, virGetLastErrorMessage());
		goto out;
	}
	/* each is reported by attach_session; one that fails does not stop the rest */
	for (int i = 0; i < n; i++) {
		int r = share_attach_domain(conn, doms[i], req);

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
	xmlNodePtr channel;
	unsigned memory_added = 0;
	int ret;

	ret = session_open(&s, uri, domain, false);
	if (ret < 0)
		return ret;
	meta = virDomainGetMetadata(s.dom, VIR_DOMAIN_METADATA_ELEMENT, META_URI, VIR_DOMAIN_AFFECT_CONFIG);
	added = meta ? strstr(meta, "memory-backing-added=\"") : NULL;
	if (added)
		memory_added = (unsigned)strtoul(added + 22, NULL, 10);
	free(meta);
	channel = find_node(s.doc, CHANNEL_XPATH "/source");
	if (channel) {
		xmlChar *path = xmlGetProp(channel, (const xmlChar *)"path");

		if (path)
			unplug_channel(s.dom, domain, (const char *)path);
		xmlFree(path);
		remove_node(s.doc, CHANNEL_XPATH);
	}
	if (!find_node(s.doc, SHARE_XPATH) && !channel) {
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
