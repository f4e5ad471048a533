/* The reviews kube-apiserver answers without storing anything: SelfSubjectAccessReview and
 * SubjectAccessReview (`kubectl auth can-i [--as]`), LocalSubjectAccessReview,
 * SelfSubjectRulesReview (`kubectl auth can-i --list`), SelfSubjectReview (`kubectl auth whoami`)
 * and TokenReview. The answers are the authorizer's and the authenticators' own. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_http_request;
struct cc_http_response;
struct platform_authn;
struct platform_guard;
struct platform_target;

/* t names one of the review kinds. */
bool platform_review_kind(const struct platform_target *t);

/* Answers the review (the request body, parsed) for the request's user: 201 with its status. */
void platform_review(struct platform_guard *g, struct platform_authn *authn, const struct platform_target *t,
		     const struct cc_http_request *req, json_t *review, struct cc_http_response *resp);
