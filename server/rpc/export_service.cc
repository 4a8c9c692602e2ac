#include "server/rpc/export_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/status.h"
#include "server/rpc/request_id.h"

namespace fieldsync::rpc {
namespace {

exporting::ExportRequest FromProto(const v1::ExportRequest& p) {
  exporting::ExportRequest r;
  r.form_id = p.form_id();
  switch (p.format()) {
    case v1::ExportRequest::XLSX:
      r.format = exporting::Format::kXlsx;
      break;
    case v1::ExportRequest::GEOJSON:
      r.format = exporting::Format::kGeoJson;
      break;
    default:
      r.format = exporting::Format::kCsv;
  }
  r.layout.labels = p.labels();
  r.layout.language = p.language();
  r.layout.choice_columns = p.choice_columns();
  r.layout.geo_field = p.geo_field();
  r.include_deleted = p.include_deleted();
  r.since_seq = p.since_seq();
  for (const auto& w : p.where()) r.where.push_back({w.field(), w.value()});
  r.formula_guard = !p.raw_text();
  return r;
}

void ToProto(const exporting::ExportProgress& p, v1::ExportProgress* out) {
  out->set_records(p.records);
  out->set_seq(p.seq);
  out->set_since_seq(p.since_seq);
  out->set_head_seq(p.head_seq);
  out->set_bytes(p.bytes);
}

// Chunks and progress onto the call's stream. ServerWriter::Write blocks until the message
// is handed to the transport, so a slow reader slows the export instead of filling memory.
class StreamSink final : public exporting::ExportSink {
 public:
  StreamSink(grpc::ServerContext* ctx, grpc::ServerWriter<v1::ExportChunk>* writer)
      : ctx_(ctx), writer_(writer) {}
  absl::Status Write(std::string_view bytes) override {
    v1::ExportChunk chunk;
    chunk.set_data(bytes.data(), bytes.size());
    return Send(chunk);
  }
  absl::Status Progress(const exporting::ExportProgress& p) override {
    v1::ExportChunk chunk;
    ToProto(p, chunk.mutable_progress());
    return Send(chunk);
  }
  absl::Status Send(const v1::ExportChunk& chunk) {
    if (ctx_->IsCancelled() || !writer_->Write(chunk)) {
      return absl::CancelledError("client went away");
    }
    return absl::OkStatus();
  }

 private:
  grpc::ServerContext* ctx_;
  grpc::ServerWriter<v1::ExportChunk>* writer_;
};

// What the audit entry says about the export: never filter values (they may be personal).
std::string AuditDetail(const v1::ExportRequest& req) {
  std::vector<std::string> fields;
  for (const auto& w : req.where()) fields.push_back(w.field());
  return absl::StrCat("format=", v1::ExportRequest::Format_Name(req.format()),
                      " since_seq=", req.since_seq(), " deleted=", req.include_deleted(),
                      " where=", absl::StrJoin(fields, ","));
}

}  // namespace

grpc::Status ExportServiceImpl::Export(grpc::ServerContext* ctx, const v1::ExportRequest* req,
                                       grpc::ServerWriter<v1::ExportChunk>* writer) {
  return guard_->RunStream(ctx, kExportRoles, [&](const Device& device) -> absl::Status {
    if (running_.fetch_add(1) >= limits_.max_concurrent) {
      running_.fetch_sub(1);
      return WithRetryDelay(absl::ResourceExhaustedError(absl::StrCat(
                                "at most ", limits_.max_concurrent, " exports run at once")),
                            5000);
    }
    struct Release {
      std::atomic<int>* n;
      ~Release() { n->fetch_sub(1); }
    } release{&running_};
    FS_RETURN_IF_ERROR(
        audit_
            ->Append({AuditContext::Of(device, RequestIdOf(ctx)), audit_action::kRecordsExport,
                      req->form_id(), AuditDetail(*req)})
            .status());
    StreamSink sink(ctx, writer);
    const exporting::ExportRequest request = FromProto(*req);
    FS_ASSIGN_OR_RETURN(exporting::ExportSummary summary, exporter_->Run(device, request, &sink));
    v1::ExportChunk last;
    v1::ExportSummary* s = last.mutable_summary();
    s->set_records(summary.records);
    s->set_bytes(summary.bytes);
    s->set_head_seq(summary.head_seq);
    s->set_truncated_cells(summary.truncated_cells);
    s->set_content_type(exporting::Exporter::ContentType(request.format));
    s->set_file_extension(exporting::Exporter::Extension(request.format));
    return sink.Send(last);
  });
}

}  // namespace fieldsync::rpc
