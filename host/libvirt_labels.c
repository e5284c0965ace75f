// SPDX-License-Identifier: MIT
/* A domain's labels from its libvirt metadata (host/libvirt_labels.h). */
#include "host/libvirt_labels.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether element @n is named @name, whatever its namespace prefix. */
static bool is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/*
 * Add @name = @v (an xmlChar string, freed here) to @set, when there is
 * one and the book allows it: what a domain's metadata holds is bounded by
 * the allowlist, however many labels it has.
 */
static int add_xml_label(const struct vm_label_book *book, struct vm_label_set *set, const char *name,
			 xmlChar *v)
{
	int ret = 0;

	if (v && v[0] && set->n < VM_LABELS_MAX && vm_label_book_allows(book, name))
		ret = vm_label_set_add(set, name, (const char *)v);
	xmlFree(v);
	return ret;
}

/*
 * Nova's <instance>: its name, flavor, and owner (user and project, each a
 * uuid attribute and a name as text).
 */
static int nova_labels(const struct vm_label_book *book, const xmlNode *instance, struct vm_label_set *set)
{
	int ret = 0;

	for (const xmlNode *n = instance->children; n && ret == 0; n = n->next) {
		if (is_element(n, "name"))
			ret = add_xml_label(book, set, "instance_name", xmlNodeGetContent(n));
		else if (is_element(n, "flavor"))
			ret = add_xml_label(book, set, "flavor", xmlGetProp(n, (const xmlChar *)"name"));
		else if (is_element(n, "owner"))
			for (const xmlNode *o = n->children; o && ret == 0; o = o->next) {
				const char *who = is_element(o, "user") ? "user" : is_element(o, "project") ? "project" : NULL;
				char id[16];

				if (!who)
					continue;
				snprintf(id, sizeof(id), "%s_id", who);
				ret = add_xml_label(book, set, id, xmlGetProp(o, (const xmlChar *)"uuid"));
				if (ret == 0)
					ret = add_xml_label(book, set, who, xmlNodeGetContent(o));
			}
	}
	return ret;
}

/* vpowercap's <labels>: <label name="k">v</label>, each. */
static int own_labels(const struct vm_label_book *book, const xmlNode *labels, struct vm_label_set *set)
{
	int ret = 0;

	for (const xmlNode *n = labels->children; n && ret == 0; n = n->next) {
		xmlChar *name;

		if (!is_element(n, "label"))
			continue;
		name = xmlGetProp(n, (const xmlChar *)"name");
		if (name && name[0])
			ret = add_xml_label(book, set, (const char *)name, xmlNodeGetContent(n));
		xmlFree(name);
	}
	return ret;
}

/*
 * The labels in @dom's metadata element of namespace @uri, parsed by
 * @parse from the element's root; none when it has no such element.
 */
static int metadata_labels(const struct vm_label_book *book, virDomainPtr dom, const char *uri, const char *root,
			   int (*parse)(const struct vm_label_book *, const xmlNode *, struct vm_label_set *),
			   struct vm_label_set *set)
{
	char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri, VIR_DOMAIN_AFFECT_CURRENT);
	xmlDocPtr doc;
	xmlNodePtr top;
	int ret = 0;

	if (!xml)
		return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN_METADATA ? 0 : -EIO;
	doc = xmlReadMemory(xml, (int)strlen(xml), "metadata.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	free(xml);
	if (!doc)
		return -EINVAL;
	top = xmlDocGetRootElement(doc);
	if (top && is_element(top, root))
		ret = parse(book, top, set);
	xmlFreeDoc(doc);
	return ret;
}

int libvirt_domain_labels(const struct vm_label_book *book, virDomainPtr dom, struct vm_label_set *set)
{
	int ret = metadata_labels(book, dom, NOVA_URI, "instance", nova_labels, set);

	if (ret == 0)
		ret = metadata_labels(book, dom, LABELS_URI, "labels", own_labels, set);
	return ret;
}
