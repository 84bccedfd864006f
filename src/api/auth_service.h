#pragma once

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::api {

// etcd's Auth service, answering every call UNIMPLEMENTED with a message
// that says why, until authentication lands (roadmap: security). Without
// it a client would get gRPC's bare "unknown service".
class AuthService final : public etcdserverpb::Auth::Service {
 public:
  static constexpr char kMessage[] =
      "cairn: authentication is not implemented yet (planned with TLS and role-based access)";

#define CAIRN_AUTH_UNIMPLEMENTED(Method, Request, Response)                                        \
  grpc::Status Method(grpc::ServerContext*, const etcdserverpb::Request*, etcdserverpb::Response*) \
      override {                                                                                   \
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, kMessage);                                \
  }
  CAIRN_AUTH_UNIMPLEMENTED(AuthEnable, AuthEnableRequest, AuthEnableResponse)
  CAIRN_AUTH_UNIMPLEMENTED(AuthDisable, AuthDisableRequest, AuthDisableResponse)
  CAIRN_AUTH_UNIMPLEMENTED(Authenticate, AuthenticateRequest, AuthenticateResponse)
  CAIRN_AUTH_UNIMPLEMENTED(UserAdd, AuthUserAddRequest, AuthUserAddResponse)
  CAIRN_AUTH_UNIMPLEMENTED(UserGet, AuthUserGetRequest, AuthUserGetResponse)
  CAIRN_AUTH_UNIMPLEMENTED(UserList, AuthUserListRequest, AuthUserListResponse)
  CAIRN_AUTH_UNIMPLEMENTED(UserDelete, AuthUserDeleteRequest, AuthUserDeleteResponse)
  CAIRN_AUTH_UNIMPLEMENTED(UserChangePassword, AuthUserChangePasswordRequest,
                           AuthUserChangePasswordResponse)
  CAIRN_AUTH_UNIMPLEMENTED(UserGrantRole, AuthUserGrantRoleRequest, AuthUserGrantRoleResponse)
  CAIRN_AUTH_UNIMPLEMENTED(UserRevokeRole, AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse)
  CAIRN_AUTH_UNIMPLEMENTED(RoleAdd, AuthRoleAddRequest, AuthRoleAddResponse)
  CAIRN_AUTH_UNIMPLEMENTED(RoleGet, AuthRoleGetRequest, AuthRoleGetResponse)
  CAIRN_AUTH_UNIMPLEMENTED(RoleList, AuthRoleListRequest, AuthRoleListResponse)
  CAIRN_AUTH_UNIMPLEMENTED(RoleDelete, AuthRoleDeleteRequest, AuthRoleDeleteResponse)
  CAIRN_AUTH_UNIMPLEMENTED(RoleGrantPermission, AuthRoleGrantPermissionRequest,
                           AuthRoleGrantPermissionResponse)
  CAIRN_AUTH_UNIMPLEMENTED(RoleRevokePermission, AuthRoleRevokePermissionRequest,
                           AuthRoleRevokePermissionResponse)
#undef CAIRN_AUTH_UNIMPLEMENTED
};

}  // namespace cairn::api
