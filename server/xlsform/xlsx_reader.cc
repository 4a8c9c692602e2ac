#include "server/xlsform/xlsx_reader.h"

#include <zip.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <pugixml.hpp>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/common/status.h"

namespace fieldsync::xlsform {
namespace {

absl::Status NotXlsx(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("not an .xlsx workbook: ", why));
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

// The archive, and the inflated bytes read from it so far (for the total bound).
class Archive {
 public:
  static absl::StatusOr<std::unique_ptr<Archive>> Open(std::string_view bytes,
                                                       const XlsxLimits& limits) {
    zip_error_t error;
    zip_error_init(&error);
    // The source does not own the bytes (freep 0); they outlive the archive.
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (src == nullptr) return NotXlsx(zip_error_strerror(&error));
    zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &error);
    if (z == nullptr) {
      zip_source_free(src);
      std::string why = zip_error_strerror(&error);
      zip_error_fini(&error);
      return NotXlsx(why);
    }
    auto a = std::unique_ptr<Archive>(new Archive(z, limits));
    const zip_int64_t entries = zip_get_num_entries(z, 0);
    if (entries < 0 || static_cast<size_t>(entries) > limits.max_zip_entries) {
      return absl::ResourceExhaustedError(absl::StrCat("the .xlsx archive has ", entries,
                                                       " entries; at most ", limits.max_zip_entries,
                                                       " are read"));
    }
    return a;
  }

  bool Has(const std::string& name) const {
    return zip_name_locate(zip_.get(), name.c_str(), 0) >= 0;
  }

  // The inflated part `name`, read in chunks so that a part inflating past the bound (a zip
  // bomb, whatever its header claims) stops at the bound.
  absl::StatusOr<std::string> Read(const std::string& name) {
    const zip_int64_t index = zip_name_locate(zip_.get(), name.c_str(), 0);
    if (index < 0) return NotXlsx(absl::StrCat("no part ", name));
    std::unique_ptr<zip_file_t, ZipFileCloser> f(zip_fopen_index(zip_.get(), index, 0));
    if (f == nullptr) {
      return NotXlsx(absl::StrCat(name, ": ", zip_error_strerror(zip_get_error(zip_.get()))));
    }
    std::string out;
    char buf[64 * 1024];
    for (;;) {
      const zip_int64_t n = zip_fread(f.get(), buf, sizeof(buf));
      if (n < 0) {
        return NotXlsx(absl::StrCat(name, ": ", zip_error_strerror(zip_file_get_error(f.get()))));
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      total_ += static_cast<size_t>(n);
      if (out.size() > limits_.max_part_bytes) {
        return absl::ResourceExhaustedError(
            absl::StrCat("part ", name, " inflates past ", limits_.max_part_bytes, " bytes"));
      }
      if (total_ > limits_.max_total_bytes) {
        return absl::ResourceExhaustedError(
            absl::StrCat("the workbook inflates past ", limits_.max_total_bytes, " bytes"));
      }
    }
    return out;
  }

 private:
  Archive(zip_t* z, const XlsxLimits& limits) : zip_(z), limits_(limits) {}

  std::unique_ptr<zip_t, ZipCloser> zip_;
  const XlsxLimits& limits_;
  size_t total_ = 0;
};

absl::Status ParseXml(const std::string& text, const std::string& part, pugi::xml_document* doc) {
  // pugixml expands no entities beyond the five predefined ones and reads no DTD, so a
  // part cannot grow while it is parsed.
  pugi::xml_parse_result r =
      doc->load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) return NotXlsx(absl::StrCat(part, ": ", r.description(), " at byte ", r.offset));
  return absl::OkStatus();
}

// Element names without their namespace prefix ("x:row" and "row" are the same).
bool Is(const pugi::xml_node& n, const char* local) {
  const char* name = n.name();
  const char* colon = std::strrchr(name, ':');
  return std::strcmp(colon == nullptr ? name : colon + 1, local) == 0;
}

pugi::xml_node Child(const pugi::xml_node& n, const char* local) {
  for (pugi::xml_node c : n.children()) {
    if (Is(c, local)) return c;
  }
  return pugi::xml_node();
}

// The text of an <si> or <is>: its <t>, or its runs' <t>s joined; phonetic runs (<rPh>) are
// not part of the value.
std::string RichText(const pugi::xml_node& n) {
  std::string out;
  for (pugi::xml_node c : n.children()) {
    if (Is(c, "t")) {
      out += c.text().get();
    } else if (Is(c, "r")) {
      out += Child(c, "t").text().get();
    }
  }
  return out;
}

// Parses "BC12" into column 55 (and the row, unused). 0 when `ref` is not a cell reference.
int ColumnOf(const char* ref) {
  int col = 0;
  for (; *ref >= 'A' && *ref <= 'Z'; ++ref) {
    col = col * 26 + (*ref - 'A' + 1);
    if (col > 16384) return 0;  // past XFD, Excel's last column
  }
  return col;
}

// pyxform reads a whole float as an int ("12.0" -> "12").
std::string NumberText(std::string v) {
  const size_t dot = v.find('.');
  if (dot != std::string::npos && v.find_first_not_of('0', dot + 1) == std::string::npos &&
      v.find_first_of("eE") == std::string::npos) {
    v.resize(dot);
  }
  return v;
}

class WorkbookReader {
 public:
  WorkbookReader(Archive* archive, const XlsxLimits& limits)
      : archive_(*archive), limits_(limits) {}

  absl::StatusOr<std::vector<Sheet>> Read() {
    FS_ASSIGN_OR_RETURN(std::string workbook, archive_.Read("xl/workbook.xml"));
    pugi::xml_document wb;
    FS_RETURN_IF_ERROR(ParseXml(workbook, "xl/workbook.xml", &wb));
    FS_ASSIGN_OR_RETURN(auto targets, Relationships());
    FS_RETURN_IF_ERROR(SharedStrings());
    std::vector<Sheet> sheets;
    for (pugi::xml_node s : Child(wb.document_element(), "sheets").children()) {
      if (!Is(s, "sheet")) continue;
      std::string rid;
      for (pugi::xml_attribute a : s.attributes()) {
        if (absl::EndsWith(a.name(), ":id")) rid = a.value();
      }
      auto it = targets.find(rid);
      if (it == targets.end()) {
        return NotXlsx(absl::StrCat("sheet \"", s.attribute("name").value(), "\" has no part"));
      }
      Sheet sheet;
      sheet.name = s.attribute("name").value();
      FS_RETURN_IF_ERROR(ReadSheet(it->second, &sheet));
      sheets.push_back(std::move(sheet));
    }
    return sheets;
  }

 private:
  // Relationship id -> part name of the workbook's worksheets.
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> Relationships() {
    const std::string part = "xl/_rels/workbook.xml.rels";
    FS_ASSIGN_OR_RETURN(std::string text, archive_.Read(part));
    pugi::xml_document doc;
    FS_RETURN_IF_ERROR(ParseXml(text, part, &doc));
    absl::flat_hash_map<std::string, std::string> out;
    for (pugi::xml_node r : doc.document_element().children()) {
      if (!Is(r, "Relationship")) continue;
      std::string target = r.attribute("Target").value();
      // Targets are relative to xl/, or absolute within the package.
      target = target.rfind('/', 0) == 0 ? target.substr(1) : absl::StrCat("xl/", target);
      out[r.attribute("Id").value()] = target;
    }
    return out;
  }

  absl::Status SharedStrings() {
    const std::string part = "xl/sharedStrings.xml";
    if (!archive_.Has(part)) return absl::OkStatus();
    FS_ASSIGN_OR_RETURN(std::string text, archive_.Read(part));
    pugi::xml_document doc;
    FS_RETURN_IF_ERROR(ParseXml(text, part, &doc));
    for (pugi::xml_node si : doc.document_element().children()) {
      if (Is(si, "si")) shared_.push_back(RichText(si));
    }
    return absl::OkStatus();
  }

  absl::Status CellError(const Sheet& sheet, const char* ref, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("sheet \"", sheet.name, "\" cell ", ref, ": ", what));
  }

  absl::Status ReadSheet(const std::string& part, Sheet* sheet) {
    FS_ASSIGN_OR_RETURN(std::string text, archive_.Read(part));
    pugi::xml_document doc;
    FS_RETURN_IF_ERROR(ParseXml(text, part, &doc));
    int next_row = 1;
    for (pugi::xml_node r : Child(doc.document_element(), "sheetData").children()) {
      if (!Is(r, "row")) continue;
      Row row;
      row.number = r.attribute("r").as_int(next_row);
      next_row = row.number + 1;
      int next_col = 1;
      for (pugi::xml_node c : r.children()) {
        if (!Is(c, "c")) continue;
        const char* ref = c.attribute("r").value();
        const int col = *ref != '\0' ? ColumnOf(ref) : next_col;
        if (col <= 0) return CellError(*sheet, ref, "not a cell reference");
        next_col = col + 1;
        FS_ASSIGN_OR_RETURN(std::string value, CellText(*sheet, ref, c));
        if (value.empty()) continue;
        if (value.size() > limits_.max_cell_bytes) {
          return absl::ResourceExhaustedError(
              absl::StrCat("sheet \"", sheet->name, "\" cell ", ref, " holds ", value.size(),
                           " bytes; at most ", limits_.max_cell_bytes, " are read"));
        }
        if (static_cast<size_t>(col) > limits_.max_columns) {
          return absl::ResourceExhaustedError(
              absl::StrCat("sheet \"", sheet->name, "\" has a value in column ", ColumnName(col),
                           "; at most ", limits_.max_columns, " columns are read"));
        }
        row.cells.push_back(Cell{col, std::move(value)});
      }
      if (row.cells.empty()) continue;
      if (sheet->rows.size() >= limits_.max_rows) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "sheet \"", sheet->name, "\" has more than ", limits_.max_rows, " rows with values"));
      }
      sheet->rows.push_back(std::move(row));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> CellText(const Sheet& sheet, const char* ref,
                                       const pugi::xml_node& c) {
    const std::string type = c.attribute("t").value();
    const std::string v = Child(c, "v").text().get();
    if (type == "s") {
      if (v.empty()) return std::string();
      const size_t i = static_cast<size_t>(std::strtoull(v.c_str(), nullptr, 10));
      if (i >= shared_.size()) return CellError(sheet, ref, "refers to a missing shared string");
      return shared_[i];
    }
    if (type == "inlineStr") return RichText(Child(c, "is"));
    if (type == "b") return std::string(v == "1" ? "TRUE" : v.empty() ? "" : "FALSE");
    if (type == "e") return CellError(sheet, ref, absl::StrCat("holds the Excel error ", v));
    if (type == "str") return v;
    return NumberText(v);
  }

  Archive& archive_;
  const XlsxLimits& limits_;
  std::vector<std::string> shared_;
};

}  // namespace

std::string ColumnName(int column) {
  std::string out;
  for (; column > 0; column = (column - 1) / 26) {
    out.insert(out.begin(), static_cast<char>('A' + (column - 1) % 26));
  }
  return out;
}

absl::StatusOr<std::vector<Sheet>> ReadXlsx(std::string_view bytes, const XlsxLimits& limits) {
  if (bytes.size() > limits.max_file_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("the .xlsx file is ", bytes.size(),
                                                     " bytes; at most ", limits.max_file_bytes,
                                                     " are accepted"));
  }
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Archive> archive, Archive::Open(bytes, limits));
  return WorkbookReader(archive.get(), limits).Read();
}

}  // namespace fieldsync::xlsform
