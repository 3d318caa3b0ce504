#include "iam/model.h"

namespace iotwins::iam {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::admin: return "admin";
    case Role::operator_: return "operator";
    case Role::developer: return "developer";
    case Role::viewer: return "viewer";
    case Role::agent: return "agent";
  }
  return "unknown";
}

Result<Role> parse_role(std::string_view text) {
  for (Role r : kAllRoles) {
    if (to_string(r) == text) return r;
  }
  return make_error(Errc::invalid_argument, "unknown role \"" + std::string(text.substr(0, 64)) +
                                                "\" (roles: admin, operator, developer, viewer, agent)");
}

std::string_view to_string(SubjectKind kind) {
  switch (kind) {
    case SubjectKind::user: return "user";
    case SubjectKind::group: return "group";
    case SubjectKind::service_account: return "service-account";
    case SubjectKind::node: return "node";
  }
  return "unknown";
}

Result<SubjectKind> parse_subject_kind(std::string_view text) {
  for (SubjectKind k : {SubjectKind::user, SubjectKind::group, SubjectKind::service_account, SubjectKind::node}) {
    if (to_string(k) == text) return k;
  }
  return make_error(Errc::invalid_argument, "unknown subject kind \"" + std::string(text.substr(0, 64)) +
                                                "\" (user, group, service-account, node)");
}

std::string Subject::to_string() const { return std::string(iam::to_string(kind)) + ":" + name; }

Result<Subject> parse_subject(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return make_error(Errc::invalid_argument, "subject \"" + std::string(text.substr(0, 64)) +
                                                  "\" is not kind:name (e.g. user:alice)");
  }
  IOT_ASSIGN(SubjectKind kind, parse_subject_kind(text.substr(0, colon)));
  std::string name(text.substr(colon + 1));
  IOT_TRY(validate_name(name, "subject name"));
  return Subject{kind, std::move(name)};
}

Status validate_name(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 64) {
    return make_error(Errc::invalid_argument, std::string(what) + " must be 1 to 64 characters");
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(name[0])) {
    return make_error(Errc::invalid_argument, std::string(what) + " \"" + std::string(name) +
                                                  "\" must start with a letter or digit");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!alnum(c) && c != '.' && c != '_' && c != '@' && c != '-') {
      return make_error(Errc::invalid_argument, std::string(what) + " has a character not allowed at offset " +
                                                    std::to_string(i) + " (allowed: letters, digits, . _ @ -)");
    }
  }
  return ok();
}

}  // namespace iotwins::iam
