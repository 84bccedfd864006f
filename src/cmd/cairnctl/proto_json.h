#pragma once

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>

namespace cairn::ctl {

// A protobuf message as etcdctl's `-w json` writes it (Go's encoding/json on
// the generated structs): the proto field names, fields at their zero value
// left out, 64-bit integers as JSON numbers (not strings, unlike protobuf's
// canonical JSON), bytes in base64, enums as their numbers.
nlohmann::ordered_json ProtoToJson(const google::protobuf::Message& message);

std::string Base64(const std::string& bytes);

}  // namespace cairn::ctl
