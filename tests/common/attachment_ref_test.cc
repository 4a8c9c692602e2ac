#include "server/common/attachment_ref.h"

#include <string>

#include "gtest/gtest.h"
#include "server/common/hash.h"

namespace fieldsync {
namespace {

AttachmentRef Photo() { return {Sha256Hex("jpeg bytes"), 123456, "image/jpeg", "shelter.jpg"}; }

TEST(AttachmentRefTest, CanonicalTextRoundTrips) {
  const std::string text = FormatAttachmentRef(Photo());
  EXPECT_EQ(text,
            "sha256=" + Sha256Hex("jpeg bytes") + ";size=123456;type=image/jpeg;name=shelter.jpg");
  auto back = ParseAttachmentRef(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, Photo());
  // The name runs to the end: ';' and '=' and non-ASCII are part of it.
  AttachmentRef odd = Photo();
  odd.file_name = "a;b=c صورة.jpg";
  EXPECT_EQ(*ParseAttachmentRef(FormatAttachmentRef(odd)), odd);
}

TEST(AttachmentRefTest, EachBadPartIsNamed) {
  auto message = [](AttachmentRef r) {
    return std::string(ParseAttachmentRef(FormatAttachmentRef(r)).status().message());
  };
  AttachmentRef r = Photo();
  r.sha256 = std::string(64, 'A');
  EXPECT_NE(message(r).find("sha256"), std::string::npos);
  r = Photo();
  r.sha256.pop_back();
  EXPECT_NE(message(r).find("sha256"), std::string::npos);
  r = Photo();
  r.media_type = "Image/JPEG";
  EXPECT_NE(message(r).find("media type"), std::string::npos);
  r.media_type = "image";
  EXPECT_NE(message(r).find("media type"), std::string::npos);
  r.media_type = std::string(60, 'a') + "/" + std::string(67, 'b');  // 128 bytes
  EXPECT_NE(message(r).find("media type"), std::string::npos);
  for (std::string name :
       {std::string(""), std::string("."), std::string(".."), std::string("dir/x.jpg"),
        std::string("c:\\x.jpg"), std::string("a\nb"), std::string(256, 'n')}) {
    r = Photo();
    r.file_name = name;
    EXPECT_NE(message(r).find("name"), std::string::npos) << name;
  }
  r = Photo();
  r.file_name = std::string(255, 'n');
  EXPECT_TRUE(ParseAttachmentRef(FormatAttachmentRef(r)).ok());
  for (const char* text :
       {"", "shelter.jpg", "sha256=;size=1;type=a/b;name=x", "size=1;sha256=x;type=a/b;name=x"}) {
    EXPECT_EQ(ParseAttachmentRef(text).status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  const std::string h = Sha256Hex("x");
  for (const char* size : {"-1", "", "1e3", "99999999999999999999999", "+5"}) {
    auto s = ParseAttachmentRef("sha256=" + h + ";size=" + size + ";type=a/b;name=x");
    EXPECT_NE(s.status().message().find("size"), std::string::npos) << size;
  }
}

TEST(AttachmentRefTest, MediaTypeByExtension) {
  EXPECT_EQ(MediaTypeForFileName("Shelter.JPG"), "image/jpeg");
  EXPECT_EQ(MediaTypeForFileName("consent.pdf"), "application/pdf");
  EXPECT_EQ(MediaTypeForFileName("blob"), "application/octet-stream");
}

}  // namespace
}  // namespace fieldsync
