#include "api/acquire.h"

#include <cstdio>

#include "api/etcd_errors.h"
#include "kv/validate.h"

namespace cairn::api {

namespace {

std::string Hex(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::shared_ptr<Acquisition> Acquisition::Make(KvBackend* backend, WatchHub* hub,
                                               AcquireRequest request, Done done) {
  return std::shared_ptr<Acquisition>(
      new Acquisition(backend, hub, std::move(request), std::move(done)));
}

Acquisition::Acquisition(KvBackend* backend, WatchHub* hub, AcquireRequest request, Done done)
    : backend_(backend),
      hub_(hub),
      request_(std::move(request)),
      key_(request_.prefix + Hex(request_.lease)),
      done_(std::move(done)) {}

void Acquisition::Run() {
  // Without a lease the key would outlive a crashed holder forever (etcd
  // makes a 60 s lease that nobody renews); ask for a lease instead.
  if (request_.lease == 0) {
    return Finish(Status(Code::kNotFound,
                         "etcdserver: requested lease not found (locks and elections need a "
                         "lease: grant one and pass its ID)"));
  }
  // Create the key unless this lease has it already; read it either way.
  cairnpb::RaftRequest r;
  etcdserverpb::TxnRequest* txn = r.mutable_txn();
  etcdserverpb::Compare* c = txn->add_compare();
  c->set_key(key_);
  c->set_target(etcdserverpb::Compare::CREATE);
  c->set_result(etcdserverpb::Compare::EQUAL);
  c->set_create_revision(0);
  etcdserverpb::PutRequest* put = txn->add_success()->mutable_request_put();
  put->set_key(key_);
  put->set_value(request_.value);
  put->set_lease(request_.lease);
  txn->add_failure()->mutable_request_range()->set_key(key_);
  backend_->Write(r, [self = shared_from_this()](Result<kv::ApplyResult> applied) {
    self->Created(std::move(applied));
  });
}

void Acquisition::Created(Result<kv::ApplyResult> r) {
  if (!r.ok()) return Finish(FromConsensus(r.status()));
  if (!r->status.ok()) return Finish(r->status);
  const auto* txn = std::get_if<etcdserverpb::TxnResponse>(&r->response);
  if (txn == nullptr) return Finish(Status(Code::kInternal, "acquire: no txn response"));
  int64_t revision = txn->header().revision();
  bool stale_value = false;
  if (!txn->succeeded()) {
    const auto& kvs = txn->responses(0).response_range().kvs();
    if (kvs.empty()) return Finish(Status(Code::kInternal, "acquire: key vanished"));
    revision = kvs[0].create_revision();
    stale_value = request_.update_value && kvs[0].value() != request_.value;
  }
  bool cancelled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    created_ = true;
    acquired_.key = key_;
    acquired_.revision = revision;
    acquired_.header = txn->header();
    cancelled = finished_;
  }
  if (cancelled) return DeleteKey();  // Finish ran before the key existed
  if (!stale_value) return Check();
  cairnpb::RaftRequest update;
  update.mutable_put()->set_key(key_);
  update.mutable_put()->set_value(request_.value);
  update.mutable_put()->set_lease(request_.lease);
  backend_->Write(update, [self = shared_from_this()](Result<kv::ApplyResult> applied) {
    if (!applied.ok()) return self->Finish(FromConsensus(applied.status()));
    if (!applied->status.ok()) return self->Finish(applied->status);
    self->Check();
  });
}

void Acquisition::Check() {
  if (finished()) return;
  backend_->ReadBarrier([self = shared_from_this()](Status barrier) {
    if (!barrier.ok()) return self->Finish(FromConsensus(barrier));
    int64_t revision;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      revision = self->acquired_.revision;
    }
    etcdserverpb::RangeRequest older;
    older.set_key(self->request_.prefix);
    older.set_range_end(PrefixEnd(self->request_.prefix));
    older.set_max_create_revision(revision - 1);
    older.set_sort_target(etcdserverpb::RangeRequest::CREATE);
    older.set_sort_order(etcdserverpb::RangeRequest::DESCEND);
    older.set_limit(1);
    Result<etcdserverpb::RangeResponse> r = self->backend_->store().Range(older);
    if (!r.ok()) return self->Finish(r.status());
    if (r->kvs_size() > 0) return self->WaitForDelete(r->kvs(0).key(), r->header().revision() + 1);
    // Nothing older is left. Our own key must still be there: if its lease
    // ended meanwhile, holding the lock would be a lie.
    etcdserverpb::RangeRequest mine;
    mine.set_key(self->key_);
    Result<etcdserverpb::RangeResponse> own = self->backend_->store().Range(mine);
    if (!own.ok()) return self->Finish(own.status());
    if (own->kvs_size() == 0 || own->kvs(0).create_revision() != revision) {
      return self->Finish(
          Status(Code::kNotFound, "etcdserver: requested lease not found (the key " + self->key_ +
                                      " was deleted while waiting: its lease ended)"));
    }
    Acquired out;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      out = self->acquired_;
    }
    self->Finish(std::move(out));
  });
}

void Acquisition::WaitForDelete(const std::string& key, int64_t from_revision) {
  etcdserverpb::WatchCreateRequest req;
  req.set_key(key);
  req.set_start_revision(from_revision);
  req.add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  // The watch may fire (and a newer one start) before Start returns: each
  // watch has a number, and only the newest one is kept or acted on.
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = ++watch_seq_;
  }
  std::weak_ptr<Acquisition> weak = shared_from_this();
  std::shared_ptr<InternalWatch> watch =
      InternalWatch::Start(hub_, req, [weak, seq](const etcdserverpb::WatchResponse& resp) {
        std::shared_ptr<Acquisition> self = weak.lock();
        if (!self) return false;
        // Gone, or history compacted away (look again), or the watch ended.
        if (resp.events_size() > 0 || resp.canceled() || resp.compact_revision() != 0) {
          {
            std::lock_guard<std::mutex> lock(self->mu_);
            if (seq != self->watch_seq_) return false;  // superseded
            // This watch ends by returning false: nobody may Stop it from
            // inside its own callback, so it is no longer ours to stop.
            ++self->watch_seq_;
            self->watch_.reset();
          }
          self->Check();
          return false;
        }
        return true;
      });
  bool keep;
  {
    std::lock_guard<std::mutex> lock(mu_);
    keep = !finished_ && seq == watch_seq_;
    if (keep) watch_ = watch;
  }
  if (!keep) watch->Stop();
}

bool Acquisition::finished() {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

void Acquisition::Cancel() {
  Finish(Status(Code::kCancelled, "context canceled"));
}

void Acquisition::Finish(Result<Acquired> result) {
  std::shared_ptr<InternalWatch> watch;
  bool delete_key;
  Done done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    watch = std::move(watch_);
    delete_key = !result.ok() && created_;
    done = std::move(done_);
  }
  if (watch) watch->Stop();
  if (delete_key) DeleteKey();
  done(std::move(result));
}

void Acquisition::DeleteKey() {
  cairnpb::RaftRequest del;
  del.mutable_delete_range()->set_key(key_);
  backend_->Write(del, [](Result<kv::ApplyResult>) {});
}

}  // namespace cairn::api
