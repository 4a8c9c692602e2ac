// The XLSX writer (writers.h) over libxlsxwriter in constant-memory mode: each row goes to a
// temporary file as soon as the next one starts, the workbook is assembled in a temporary
// file at Finish(), streamed out in chunks and removed.
#include <fcntl.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/common/status.h"
#include "server/export/writers.h"

namespace fieldsync::exporting {
namespace {

// Excel's most characters in one cell.
constexpr size_t kMaxCellChars = 32767;
// Excel's most characters in a sheet name.
constexpr size_t kMaxSheetName = 31;

absl::Status LxwError(lxw_error e, const char* what) {
  return absl::InternalError(absl::StrCat("xlsx ", what, ": ", lxw_strerror(e)));
}

// At most `max_chars` UTF-8 characters of `s` (never cutting a character).
std::string_view Utf8Prefix(std::string_view s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) return s.substr(0, i);
      ++chars;
    }
  }
  return s;
}

// A valid, unused sheet name from `base` and a part number (1: none).
std::string SheetName(const std::string& base, int part) {
  std::string name;
  for (char c : base) {
    if (std::strchr("[]:*?/\\'", c) == nullptr) name.push_back(c);
  }
  if (name.empty()) name = "table";
  const std::string suffix = part > 1 ? absl::StrCat(" (", part, ")") : "";
  name = std::string(Utf8Prefix(name, kMaxSheetName - suffix.size()));
  return name + suffix;
}

class XlsxWriter final : public TableWriter {
 public:
  XlsxWriter(ChunkedOutput* out, XlsxOptions options) : out_(out), options_(std::move(options)) {}

  ~XlsxWriter() override {
    if (workbook_ != nullptr) workbook_close(workbook_);  // an abandoned export
    if (!path_.empty()) unlink(path_.c_str());
  }

  absl::Status Begin(const ExportLayout& layout) override {
    path_ = options_.temp_dir + "/fieldsync-export-XXXXXX.xlsx";
    int fd = mkstemps(path_.data(), 5);
    if (fd < 0) {
      std::string why = std::strerror(errno);
      path_.clear();
      return absl::UnavailableError(
          absl::StrCat("cannot create a temporary file in ", options_.temp_dir, ": ", why));
    }
    close(fd);
    lxw_workbook_options wo = {};
    wo.constant_memory = LXW_TRUE;
    wo.tmpdir = options_.temp_dir.data();
    wo.use_zip64 = LXW_TRUE;
    workbook_ = workbook_new_opt(path_.c_str(), &wo);
    if (workbook_ == nullptr) return absl::InternalError("xlsx: cannot create the workbook");
    bold_ = workbook_add_format(workbook_);
    format_set_bold(bold_);
    tables_ = layout.tables;
    sheets_.resize(tables_.size());
    for (size_t i = 0; i < tables_.size(); ++i) {
      sheets_[i].table = &tables_[i];
      FS_RETURN_IF_ERROR(StartSheet(&sheets_[i]));
    }
    return absl::OkStatus();
  }

  absl::Status Row(size_t table, const std::vector<Cell>& cells) override {
    Sheet& s = sheets_[table];
    if (s.rows == options_.max_rows_per_sheet) {
      ++s.part;
      FS_RETURN_IF_ERROR(StartSheet(&s));
    }
    const lxw_row_t row = ++s.rows;
    for (size_t i = 0; i < cells.size(); ++i) {
      const Cell& c = cells[i];
      const lxw_col_t col = static_cast<lxw_col_t>(i);
      lxw_error e = LXW_NO_ERROR;
      switch (c.kind) {
        case Cell::Kind::kText: {
          std::string_view text = Utf8Prefix(c.text, kMaxCellChars);
          if (text.size() < c.text.size()) ++truncated_;
          scratch_.assign(text.data(), text.size());
          e = worksheet_write_string(s.sheet, row, col, scratch_.c_str(), nullptr);
          break;
        }
        case Cell::Kind::kInt:
          e = worksheet_write_number(s.sheet, row, col, static_cast<double>(c.integer), nullptr);
          break;
        case Cell::Kind::kDecimal:
          e = worksheet_write_number(s.sheet, row, col, c.decimal, nullptr);
          break;
        case Cell::Kind::kBool:
          e = worksheet_write_boolean(s.sheet, row, col, c.boolean ? 1 : 0, nullptr);
          break;
        case Cell::Kind::kEmpty:
          break;
      }
      if (e != LXW_NO_ERROR) return LxwError(e, "cell");
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    lxw_error e = workbook_close(workbook_);
    workbook_ = nullptr;
    if (e != LXW_NO_ERROR) return LxwError(e, "close");
    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::InternalError(absl::StrCat("cannot reopen ", path_));
    // The sink buffers up to one chunk; read in pieces of that order.
    std::string buf(64 << 10, '\0');
    absl::Status status;
    while (status.ok()) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) status = absl::InternalError(absl::StrCat("reading ", path_, ": ", errno));
      if (n <= 0) break;
      status = out_->Append(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    close(fd);
    unlink(path_.c_str());
    path_.clear();
    FS_RETURN_IF_ERROR(status);
    return out_->Flush();
  }

  uint64_t truncated_cells() const override { return truncated_; }

 private:
  struct Sheet {
    const TableLayout* table = nullptr;
    lxw_worksheet* sheet = nullptr;
    uint32_t rows = 0;  // data rows on the current sheet
    int part = 1;
  };

  absl::Status StartSheet(Sheet* s) {
    const std::string name = SheetName(s->table->name, s->part);
    s->sheet = workbook_add_worksheet(workbook_, name.c_str());
    if (s->sheet == nullptr) return absl::InternalError("xlsx: cannot add sheet " + name);
    s->rows = 0;
    for (size_t i = 0; i < s->table->columns.size(); ++i) {
      lxw_error e = worksheet_write_string(s->sheet, 0, static_cast<lxw_col_t>(i),
                                           s->table->columns[i].header.c_str(), bold_);
      if (e != LXW_NO_ERROR) return LxwError(e, "header");
    }
    return absl::OkStatus();
  }

  ChunkedOutput* out_;
  XlsxOptions options_;
  std::string path_;
  lxw_workbook* workbook_ = nullptr;
  lxw_format* bold_ = nullptr;
  std::vector<TableLayout> tables_;  // a copy: the caller's layout may go first
  std::vector<Sheet> sheets_;        // parallel to tables_
  std::string scratch_;
  uint64_t truncated_ = 0;
};

}  // namespace

std::unique_ptr<TableWriter> NewXlsxWriter(ChunkedOutput* out, XlsxOptions options) {
  return std::make_unique<XlsxWriter>(out, std::move(options));
}

}  // namespace fieldsync::exporting
