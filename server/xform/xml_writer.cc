#include "server/xform/xml_writer.h"

#include "absl/strings/str_cat.h"

namespace fieldsync::xform {

namespace {

std::string Escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeText(std::string_view text) { return Escape(text, false); }
std::string EscapeAttribute(std::string_view text) { return Escape(text, true); }

XmlWriter::XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

void XmlWriter::StartTag(std::string_view name, const XmlAttributes& attrs) {
  out_.append(open_.size() * 2, ' ');
  out_ += "<";
  out_.append(name);
  for (const auto& [k, v] : attrs) absl::StrAppend(&out_, " ", k, "=\"", EscapeAttribute(v), "\"");
}

void XmlWriter::Open(std::string_view name, const XmlAttributes& attrs) {
  StartTag(name, attrs);
  out_ += ">\n";
  open_.emplace_back(name);
}

void XmlWriter::Close() {
  std::string name = std::move(open_.back());
  open_.pop_back();
  out_.append(open_.size() * 2, ' ');
  absl::StrAppend(&out_, "</", name, ">\n");
}

void XmlWriter::Leaf(std::string_view name, const XmlAttributes& attrs, std::string_view text) {
  if (text.empty()) {
    StartTag(name, attrs);
    out_ += "/>\n";
    return;
  }
  LeafMarkup(name, attrs, EscapeText(text));
}

void XmlWriter::LeafMarkup(std::string_view name, const XmlAttributes& attrs,
                           std::string_view markup) {
  StartTag(name, attrs);
  out_ += ">";
  out_.append(markup);
  out_ += "</";
  out_.append(name);
  out_ += ">\n";
}

}  // namespace fieldsync::xform
