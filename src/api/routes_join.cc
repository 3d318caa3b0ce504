// Machines and devices: join tokens, nodes joining (a client certificate from the server's CA
// and an API token), certificate rotation, node revocation, and the MQTT credentials of the
// devices attached to a node. docs/security.md "Machines" has the flow.
#include <nlohmann/json.hpp>

#include <random>

#include "api/group_scope.h"
#include "api/problem.h"
#include "api/routes.h"
#include "core/config.h"
#include "iam/ca.h"
#include "iam/store.h"
#include "twins/service.h"

namespace iotwins::api {
namespace {

constexpr size_t kMaxTwinsPerNode = 1'000'000;

std::string random_node_id(std::string_view level) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id(level);
  id += '-';
  uint64_t r = rng();
  for (int i = 0; i < 12; ++i) id += hex[(r >> (i * 4)) & 15];
  return id;
}

// The subject acting: the guard's principal, else a verified client certificate.
std::string caller(const Request& req) {
  if (req.principal) return req.principal->subject.to_string();
  return req.peer_subject;
}

// Rotation and the device list are for the node itself: its client certificate, or its API
// token (a plain-HTTP loopback server has no TLS layer to present the certificate to).
Status require_node(const Request& req, iam::IamStore& store, const std::string& node_id) {
  const std::string subject = iam::Subject{iam::SubjectKind::node, node_id}.to_string();
  if (caller(req) == subject) return ok();
  if (const std::string* auth = req.header("Authorization"); auth && auth->starts_with("Bearer ")) {
    auto who = store.authenticate_api_token(auth->substr(7));
    if (who && who->to_string() == subject) return ok();
  }
  return make_error(Errc::permission_denied, "only node " + node_id + " itself may do this");
}

nlohmann::json join_token_view(const iam::JoinTokenInfo& t) {
  nlohmann::json j = {{"id", t.id}, {"group", t.group}, {"created_by", t.created_by},
                      {"created_ns", t.created_ns}, {"expires_ns", t.expires_ns}};
  if (t.used_ns != 0) {
    j["used_ns"] = t.used_ns;
    j["used_by"] = t.used_by;
  }
  return j;
}

// The group a join token names must exist; "default" is made on first use.
Status ensure_group(iam::IamStore& store, const std::string& group) {
  if (group != "default") return ok();
  auto made = store.create_group(group, "nodes and resources not given a group");
  if (!made && made.error().code() != Errc::already_exists) return std::unexpected(made.error());
  return ok();
}

}  // namespace

void add_join_routes(Router& router, const Services& s) {
  iam::IamStore& store = *s.iam;
  iam::CertificateAuthority& ca = *s.ca;

  router.add(Method::POST, "/api/v1/join-tokens", [&store](Request& req) {
    auto body = parse_json_body(req);
    if (!body) return problem(body.error());
    auto group = string_member(*body, "group", false);
    auto ttl_text = string_member(*body, "ttl", false);
    if (!group) return problem(group.error());
    if (!ttl_text) return problem(ttl_text.error());
    if (group->empty()) *group = "default";
    // The token makes an agent of its group: only who may manage that group's nodes issues one.
    if (!allowed(req, iam::Verb::delete_, iam::ResourceKind::nodes, *group)) {
      return refused(req, iam::Verb::delete_, iam::ResourceKind::nodes, *group, "join tokens of group " + *group);
    }
    auto ttl = parse_duration(ttl_text->empty() ? "1h" : *ttl_text);
    if (!ttl) return problem(Error(Errc::invalid_argument, "field 'ttl': " + ttl.error().message()));
    if (auto st = ensure_group(store, *group); !st) return problem(st.error());
    std::string by = caller(req).empty() ? "anonymous" : caller(req);
    auto issued = store.create_join_token(*group, by, std::chrono::duration_cast<std::chrono::seconds>(*ttl));
    if (!issued) return problem(issued.error());
    nlohmann::json j = join_token_view(issued->meta);
    j["token"] = issued->secret;
    return json_response(201, j);
  }, {.max_body = 4096, .summary = "a one-time join token for a node {group, ttl} (operators)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::delete_});

  router.add(Method::GET, "/api/v1/join-tokens", [&store](Request& req) {
    auto tokens = store.list_join_tokens();
    if (!tokens) return problem(tokens.error());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& t : *tokens) {
      if (allowed(req, iam::Verb::delete_, iam::ResourceKind::nodes, t.group)) items.push_back(join_token_view(t));
    }
    return json_response(200, {{"items", items}, {"count", items.size()}});
  }, {.summary = "join tokens (without their secrets)", .kind = iam::ResourceKind::nodes, .verb = iam::Verb::delete_});

  router.add(Method::DELETE, "/api/v1/join-tokens/{id}", [&store](Request& req) {
    return problem_or(store.delete_join_token(req.param("id")));
  }, {.summary = "withdraw a join token", .kind = iam::ResourceKind::nodes, .verb = iam::Verb::delete_});

  router.add(Method::POST, "/api/v1/nodes/join", [&store, &ca](Request& req) {
    auto body = parse_json_body(req);
    if (!body) return problem(body.error());
    auto token = string_member(*body, "join_token", true);
    auto csr = string_member(*body, "csr", true);
    auto level = string_member(*body, "level", false);
    if (!token) return problem(token.error());
    if (!csr) return problem(csr.error());
    if (!level) return problem(level.error());
    if (!level->empty() && *level != "iot" && *level != "edge" && *level != "cloud") {
      return problem(Error(Errc::invalid_argument, "field 'level' must be iot, edge or cloud"));
    }
    // A CSR that cannot be signed must not spend the token.
    if (auto parsed = iam::read_csr(*csr); !parsed) {
      return problem(Error(Errc::invalid_argument, "field 'csr': " + parsed.error().message()));
    }
    std::string node_id = random_node_id(level->empty() ? "node" : *level);
    auto grant = store.consume_join_token(*token, node_id);
    if (!grant) return problem(grant.error());
    auto node = store.add_node(node_id, grant->group);
    if (!node) return problem(node.error());
    const iam::Subject subject{iam::SubjectKind::node, node_id};
    auto cert = ca.sign_csr(*csr, subject.to_string());
    if (!cert) return problem(Error(Errc::invalid_argument, "field 'csr': " + cert.error().message()));
    if (auto st = store.add_node_certificate(node_id, cert->info.serial); !st) return problem(st.error());
    auto api_token = store.create_api_token(subject, "agent");
    if (!api_token) return problem(api_token.error());
    return json_response(201, {{"node_id", node_id},
                               {"group", grant->group},
                               {"certificate", cert->certificate_pem},
                               {"ca", ca.ca_certificate_pem()},
                               {"api_token", api_token->secret}});
  }, {.max_body = 64 * 1024, .summary = "a node joins with a join token and its CSR → certificate, CA, API token",
      .public_route = true});

  router.add(Method::POST, "/api/v1/nodes/{id}/certificate", [&store, &ca](Request& req) {
    const std::string& id = req.param("id");
    if (auto st = require_node(req, store, id); !st) return problem(st.error());
    auto body = parse_json_body(req);
    if (!body) return problem(body.error());
    auto csr = string_member(*body, "csr", true);
    if (!csr) return problem(csr.error());
    auto node = store.get_node(id);
    if (!node) return problem(node.error());
    if (node->revoked_ns != 0) return problem(Error(Errc::unauthenticated, "node " + id + " was revoked"));
    auto cert = ca.sign_csr(*csr, iam::Subject{iam::SubjectKind::node, id}.to_string());
    if (!cert) return problem(Error(Errc::invalid_argument, "field 'csr': " + cert.error().message()));
    if (auto st = store.add_node_certificate(id, cert->info.serial); !st) return problem(st.error());
    return json_response(201, {{"node_id", id}, {"certificate", cert->certificate_pem}, {"ca", ca.ca_certificate_pem()}});
  }, {.max_body = 64 * 1024, .summary = "a node renews its client certificate (its own CSR)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::write});

  // The joined node's group is its identity's (the same as its node record's).
  ObjectOf identity_of = [&store](const Request& req) -> std::optional<ScopedObject> {
    auto node = store.get_node(req.param("id"));
    if (!node) return std::nullopt;
    return ScopedObject{node->group, "node '" + node->id + "'"};
  };
  router.add(Method::POST, "/api/v1/nodes/{id}/revoke", group_gated(identity_of, iam::ResourceKind::nodes,
                                                                    iam::Verb::delete_, [&store, &ca](Request& req) {
    auto node = store.revoke_node(req.param("id"));
    if (!node) return problem(node.error());
    for (const auto& serial : node->certificate_serials) {
      if (auto st = ca.revoke(serial); !st) return problem(st.error());
    }
    return json_response(200, {{"node_id", node->id}, {"revoked_ns", node->revoked_ns},
                               {"revoked_certificates", node->certificate_serials}});
  }), {.summary = "revoke a node: its certificates and API token are refused from now on",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::delete_});

  router.add(Method::GET, "/api/v1/ca", [&ca](Request&) {
    Response r;
    r.status = 200;
    r.content_type = "application/x-pem-file";
    r.body = ca.ca_certificate_pem();
    return r;
  }, {.summary = "the server's CA certificate (PEM)", .public_route = true});

  if (s.twins == nullptr) return;
  twins::TwinService& twins = *s.twins;

  router.add(Method::POST, "/api/v1/twins/{id}/credentials", [&store, &twins](Request& req) {
    const std::string& id = req.param("id");
    if (auto t = twins.get_twin(id); !t) return problem(t.error());
    auto secret = store.create_device_secret(id);
    if (!secret) return problem(secret.error());
    return json_response(201, {{"twin", id}, {"username", id}, {"password", *secret}});
  }, {.max_body = 1024, .summary = "a new MQTT password for the twin's device (shown once; replaces the previous)",
      .kind = iam::ResourceKind::twins, .verb = iam::Verb::write});

  router.add(Method::DELETE, "/api/v1/twins/{id}/credentials", [&store](Request& req) {
    return problem_or(store.delete_device_credential(req.param("id")));
  }, {.summary = "withdraw the twin's device MQTT password", .kind = iam::ResourceKind::twins, .verb = iam::Verb::write});

  router.add(Method::GET, "/api/v1/nodes/{id}/device-credentials", [&store, &twins](Request& req) {
    const std::string& id = req.param("id");
    if (auto st = require_node(req, store, id); !st) return problem(st.error());
    std::vector<std::string> attached;
    for (const auto& item : twins.changes_after(0, kMaxTwinsPerNode, twins::FeedFilter{id, nullptr}).items) {
      if (!item.deleted) attached.push_back(item.id);
    }
    auto creds = store.device_credentials(attached);
    if (!creds) return problem(creds.error());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& c : *creds) items.push_back({{"twin", c.twin}, {"sha256", c.secret_sha256}});
    return json_response(200, {{"items", items}, {"twins", attached}});
  }, {.summary = "the MQTT credentials (SHA-256 digests) of the devices attached to this node (the node itself)",
      .kind = iam::ResourceKind::nodes, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
