// A small streaming XML writer: elements, attributes in the order given, escaped text,
// two-space indentation. The same calls give the same bytes, which is what makes generated
// XForms hash the same every time. Not thread-safe.
#ifndef FIELDSYNC_SERVER_XFORM_XML_WRITER_H_
#define FIELDSYNC_SERVER_XFORM_XML_WRITER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fieldsync::xform {

using XmlAttributes = std::vector<std::pair<std::string, std::string>>;

class XmlWriter {
 public:
  XmlWriter();  // starts with the XML declaration

  // Opens <name attrs...>; children follow until Close().
  void Open(std::string_view name, const XmlAttributes& attrs = {});
  void Close();
  // <name attrs.../> when `text` is empty, else <name attrs...>text</name> (text escaped).
  void Leaf(std::string_view name, const XmlAttributes& attrs = {}, std::string_view text = {});
  // <name attrs...>markup</name>: `markup` is written as it is (it must be well-formed
  // content the caller escaped, e.g. text with <output/> elements).
  void LeafMarkup(std::string_view name, const XmlAttributes& attrs, std::string_view markup);

  // The document; every opened element must have been closed.
  const std::string& str() const { return out_; }

 private:
  void StartTag(std::string_view name, const XmlAttributes& attrs);
  std::string out_;
  std::vector<std::string> open_;
};

// `text` with &, <, > (and in attributes also ", and tab, CR, LF as character references)
// escaped.
std::string EscapeText(std::string_view text);
std::string EscapeAttribute(std::string_view text);

}  // namespace fieldsync::xform

#endif  // FIELDSYNC_SERVER_XFORM_XML_WRITER_H_
