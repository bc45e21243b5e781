/* validate: Kubernetes' own rules for names, labels, images, ports and quantities, and the
 * whole-descriptor check the form and `kdeck descriptor validate` use.
 * Every validator returns NULL when the value is valid, else a static message meant to be shown
 * next to the field ("must be no more than 63 characters"). NULL input is "must not be empty". */
#ifndef KDECK_VALIDATE_H
#define KDECK_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "kdeck/descriptor.h"

/* RFC 1123 label: ≤63, [a-z0-9]([-a-z0-9]*[a-z0-9])? — namespaces, container names. */
const char *validate_dns_label(const char *s);
/* RFC 1035 label: like a DNS-1123 label but starts with a letter — Service names. */
const char *validate_dns1035_label(const char *s);
/* RFC 1123 subdomain: ≤253, dot-separated DNS-1123 labels — Secret, ConfigMap, Job names. */
const char *validate_dns_subdomain(const char *s);
/* Label (and annotation) key: [prefix/]name, prefix a DNS subdomain, name ≤63
 * ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]. */
const char *validate_label_key(const char *s);
/* Label value: empty, or ≤63 with the same characters as a key's name. */
const char *validate_label_value(const char *s);
/* Environment variable name: [-._a-zA-Z][-._a-zA-Z0-9]*. */
const char *validate_env_name(const char *s);
/* Secret / ConfigMap key: ≤253, [-._a-zA-Z0-9]+, not "." or "..". */
const char *validate_config_key(const char *s);
/* Image reference: [registry[:port]/]path[:tag][@algo:hex]; lowercase repository, tag
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, sha256 digests of 64 lowercase hex digits. */
const char *validate_image(const char *s);
/* 1-65535. */
const char *validate_port(long port);
/* IANA_SVC_NAME: ≤15, [-a-z0-9], at least one letter, no "--", no '-' at either end. */
const char *validate_port_name(const char *s);
/* A resource quantity ≥ 0: <number><suffix>, number [0-9]+(.[0-9]*)? | .[0-9]+ with an
 * optional sign, suffix one of Ki Mi Gi Ti Pi Ei | m "" k M G T P E | e<int> E<int>. */
const char *validate_quantity(const char *s);
/* Parses a quantity (negative allowed) to milli-units, rounding up as Kubernetes' MilliValue
 * does: "250m" → 250, "1.5" → 1500, "1Ki" → 1024000. NULL when valid, else the message;
 * values whose milli-value does not fit in 63 bits are "too large". */
const char *validate_quantity_milli(const char *s, int64_t *milli);
/* Ingress host: a DNS subdomain, optionally "*." + subdomain; not an IP address. */
const char *validate_host(const char *s);
/* HTTP path: starts with '/', no whitespace. */
const char *validate_path(const char *s);
/* A field the table marks as free text but that must not be empty. */
const char *validate_nonempty(const char *s);

/* Every invalid field of d as (JSON path, message), in field order: the table's checks
 * (descriptor_check_fields) plus the rules between fields — requests ≤ limits, min ≤ max
 * replicas, liveness successThreshold 1, unique container/port/env names, service targetPort
 * naming a container port, an ingress needs a service, blue/green name lengths, an autoscaler
 * needs cpu requests. True when there is nothing to report. problems may be NULL. */
bool descriptor_validate(const descriptor_t *d, desc_problems_t *problems);

#endif
