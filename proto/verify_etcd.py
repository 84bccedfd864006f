#!/usr/bin/python3
"""Checks Cairn's etcd protos against etcd's own, item by item.

Usage: proto/verify_etcd.py ETCD_GIT_DIR [TAG]   (TAG defaults to v3.4.45)

Reads etcd's .proto files for TAG straight from a git directory (a bare
clone is enough), drops their gogoproto and grpc-gateway annotations (which
change neither the wire format nor gRPC method paths), compiles both sides
with protoc into descriptors and compares every package, message, field
(name, number, type, message/enum type, label, oneof), enum value and
service method (name, request, response, both streaming flags), in both
directions. Prints each difference and the number of items that matched;
exits 1 on any difference. Runs with Debian's /usr/bin/python3 and
python3-protobuf.
"""

import os
import re
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

# etcd's path at v3.4 -> (the import path etcd's files use, Cairn's path).
FILES = {
    "etcdserver/etcdserverpb/rpc.proto":
        ("etcd/etcdserver/etcdserverpb/rpc.proto", "etcd/etcdserverpb/rpc.proto"),
    "mvcc/mvccpb/kv.proto": ("etcd/mvcc/mvccpb/kv.proto", "etcd/mvccpb/kv.proto"),
    "auth/authpb/auth.proto": ("etcd/auth/authpb/auth.proto", "etcd/authpb/auth.proto"),
    "etcdserver/api/v3lock/v3lockpb/v3lock.proto":
        ("etcd/etcdserver/api/v3lock/v3lockpb/v3lock.proto", "etcd/v3lockpb/v3lock.proto"),
    "etcdserver/api/v3election/v3electionpb/v3election.proto":
        ("etcd/etcdserver/api/v3election/v3electionpb/v3election.proto",
         "etcd/v3electionpb/v3election.proto"),
}


def strip_annotations(text):
    """Removes gogoproto/google.api imports and options from etcd's text."""
    text = re.sub(r'^\s*import\s+"(gogoproto/gogo|google/api/annotations)\.proto";\s*$', "",
                  text, flags=re.M)
    text = re.sub(r"^\s*option\s+\(gogoproto\.[^)]*\)\s*=\s*[^;]*;\s*$", "", text, flags=re.M)
    text = re.sub(r"\[\s*\(gogoproto\.[^\]]*\]", "", text)
    # option (google.api.http) = { ... }; with nested braces.
    out, i = [], 0
    pattern = re.compile(r"option\s+\(google\.api\.http\)\s*=\s*\{")
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        j = text.index(";", j) + 1
        i = j
    return "".join(out)


def descriptors(root, files):
    """Compiles `files` (paths under root) and returns {path: FileDescriptorProto}."""
    with tempfile.NamedTemporaryFile(suffix=".pb") as out:
        subprocess.run(["protoc", "-I", root, "--include_imports", "--descriptor_set_out",
                        out.name] + files, check=True)
        fds = descriptor_pb2.FileDescriptorSet.FromString(open(out.name, "rb").read())
    return {f.name: f for f in fds.file}


def items(fd):
    """Every comparable item of a file, as {key: description}."""
    result = {("package",): fd.package}

    def enum(prefix, e):
        result[("enum", prefix + e.name)] = ""
        for v in e.value:
            result[("enum value", prefix + e.name, v.name)] = v.number

    def message(prefix, m):
        name = prefix + m.name
        result[("message", name)] = ""
        for f in m.field:
            oneof = m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else ""
            result[("field", name, f.name)] = (
                f.number, descriptor_pb2.FieldDescriptorProto.Type.Name(f.type), f.type_name,
                descriptor_pb2.FieldDescriptorProto.Label.Name(f.label), oneof)
        for e in m.enum_type:
            enum(name + ".", e)
        for n in m.nested_type:
            message(name + ".", n)

    for e in fd.enum_type:
        enum("", e)
    for m in fd.message_type:
        message("", m)
    for s in fd.service:
        result[("service", s.name)] = ""
        for meth in s.method:
            result[("method", s.name, meth.name)] = (
                meth.input_type, meth.output_type, meth.client_streaming, meth.server_streaming)
    return result


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    git_dir = sys.argv[1]
    tag = sys.argv[2] if len(sys.argv) > 2 else "v3.4.45"
    ours_root = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as theirs_root:
        for etcd_path, (import_path, _) in FILES.items():
            text = subprocess.run(["git", "--git-dir", git_dir, "show", f"{tag}:{etcd_path}"],
                                  check=True, capture_output=True, text=True).stdout
            text = strip_annotations(text)
            for other_import, ours in FILES.values():
                text = text.replace(f'"{other_import}"', f'"{ours}"')
            dest = os.path.join(theirs_root, FILES[etcd_path][1])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w") as f:
                f.write(text)
        paths = [ours for _, ours in FILES.values()]
        theirs = descriptors(theirs_root, paths)
        ours = descriptors(ours_root, paths)

    matched, differences = {}, 0
    for path in paths:
        a, b = items(theirs[path]), items(ours[path])
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                print(f"{path}: missing in Cairn: {key} {a[key]}")
            elif key not in a:
                print(f"{path}: not in etcd {tag}: {key} {b[key]}")
            elif a[key] != b[key]:
                print(f"{path}: {key}: etcd {a[key]} vs Cairn {b[key]}")
            else:
                matched[key[0]] = matched.get(key[0], 0) + 1
                continue
            differences += 1
    summary = ", ".join(f"{n} {kind}s" for kind, n in sorted(matched.items()))
    print(f"etcd {tag}: {sum(matched.values())} items match ({summary}); "
          f"{differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
