// The OpenRosa door against a real fieldsyncd on 127.0.0.1 port 0 (plaintext on loopback with
// --dev-plaintext): the form list, XForm download and submissions as ODK Collect sends them
// (the request below is laid out byte for byte like Collect's: headers, boundary, part names),
// duplicates, attachments in a second request, split submissions, edits, conflicts,
// authentication and scope, malformed and hostile XML, oversize bodies. After each refusal the
// server keeps serving another device, and the device token never reaches the server's log.
#include <httplib.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/attachment_ref.h"
#include "server/common/hash.h"
#include "tests/testing/server_test.h"

namespace fieldsync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr size_t kMaxBody = 200000;

std::string Md5Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

// A displacement_household instance as the XForm lays it out.
std::string Household(const std::string& instance_id, const std::string& size,
                      const std::string& extra = "", const std::string& meta_extra = "") {
  return absl::StrCat(
      "<?xml version='1.0' ?><data id=\"displacement_household\" version=\"1\" "
      "xmlns:jr=\"http://openrosa.org/javarosa\">"
      "<governorate>Ninewa</governorate><district>Mosul</district><team/>"
      "<visit_date>2026-11-30</visit_date><household_size>",
      size, "</household_size>", extra, "<meta><instanceID>", instance_id, "</instanceID>",
      meta_extra, "</meta></data>");
}

struct Part {
  std::string name, filename, type, content;
};

class OpenRosaIntegrationTest : public ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.Sub("data"),
        std::vector<std::string>{"--openrosa-listen", "127.0.0.1:0", "--openrosa-max-body-bytes",
                                 std::to_string(kMaxBody)});
    ninewa_ = server_->AddDevice({"tab-ninewa", "enumerator", {"governorate=Ninewa"}});
    anbar_ = server_->AddDevice({"tab-anbar", "enumerator", {"governorate=Anbar"}});
    officer_ = server_->AddDevice({"officer-1", "border_officer", {"border_point=BP-001"}});
    feed_ = server_->AddDevice({"feed", "feed_reader", {}, true});
    revoked_ = server_->AddDevice({"tab-lost", "enumerator", {"governorate=Ninewa"}});
    server_->RevokeDevice("tab-lost");
    ASSERT_TRUE(server_->Start()) << server_->log();
    ASSERT_GT(server_->openrosa_port(), 0) << server_->log();
  }

  httplib::Client Http() {
    httplib::Client c("127.0.0.1", server_->openrosa_port());
    c.set_read_timeout(30, 0);
    return c;
  }

  httplib::Result Get(const std::string& token, const std::string& path) {
    httplib::Client c = Http();
    return c.Get(absl::StrCat("/key/", token, path).c_str(),
                 httplib::Headers{{"X-OpenRosa-Version", "1.0"}});
  }

  httplib::Result Submit(const std::string& token, const std::vector<Part>& parts) {
    httplib::Client c = Http();
    httplib::MultipartFormDataItems items;
    for (const auto& p : parts) items.push_back({p.name, p.content, p.filename, p.type});
    return c.Post(absl::StrCat("/key/", token, "/submission").c_str(),
                  httplib::Headers{{"X-OpenRosa-Version", "1.0"}}, items);
  }

  httplib::Result SubmitXml(const std::string& token, const std::string& xml) {
    return Submit(token, {{"xml_submission_file", "instance.xml", "text/xml", xml}});
  }

  // The records of displacement_household visible to `token`, by id.
  std::map<std::string, v1::RecordState> Records(const std::string& token) {
    TestClient c(server_->target(), token);
    PullResult r = c.Pull("", {"displacement_household"});
    EXPECT_TRUE(r.status.ok()) << r.status.error_message();
    std::map<std::string, v1::RecordState> out;
    for (auto& rec : r.records) out[rec.record_id()] = rec;
    return out;
  }

  // Another device is still served.
  void StillServing() {
    httplib::Result r = Get(anbar_, "/formList");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }

  std::string ninewa_, anbar_, officer_, feed_, revoked_;
};

TEST_F(OpenRosaIntegrationTest, FormListOffersWhatTheDeviceMayFillWithTheXFormsHash) {
  httplib::Result list = Get(ninewa_, "/formList");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(list->get_header_value("X-OpenRosa-Version"), "1.0");
  EXPECT_THAT(list->body, HasSubstr("<formID>displacement_household</formID>"));
  // Border crossings are scoped by border point, which this device holds no grant for.
  EXPECT_THAT(list->body, Not(HasSubstr("<formID>border_crossing</formID>")));
  httplib::Result officer = Get(officer_, "/formList");
  EXPECT_THAT(officer->body, HasSubstr("<formID>border_crossing</formID>"));

  const std::string url = absl::StrCat("http://127.0.0.1:", server_->openrosa_port(), "/key/",
                                       ninewa_, "/forms/displacement_household/1/form.xml");
  EXPECT_THAT(list->body, HasSubstr("<downloadUrl>" + url + "</downloadUrl>"));
  httplib::Result xform = Get(ninewa_, "/forms/displacement_household/1/form.xml");
  ASSERT_EQ(xform->status, 200);
  EXPECT_THAT(list->body, HasSubstr("<hash>md5:" + Md5Hex(xform->body) + "</hash>"));
  // The device's scope is preloaded into its XForm.
  EXPECT_THAT(xform->body, HasSubstr("<governorate>Ninewa</governorate>"));
  // Deterministic: the same bytes again.
  EXPECT_EQ(Get(ninewa_, "/forms/displacement_household/1/form.xml")->body, xform->body);
  // A form outside the device's scope cannot be downloaded either.
  EXPECT_EQ(Get(ninewa_, "/forms/border_crossing/1/form.xml")->status, 403);
  EXPECT_EQ(Get(ninewa_, "/forms/nope/1/form.xml")->status, 404);
}

TEST_F(OpenRosaIntegrationTest, HeadAnnouncesTheBodyLimit) {
  httplib::Client c = Http();
  httplib::Result r = c.Head(absl::StrCat("/key/", ninewa_, "/submission").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->get_header_value("X-OpenRosa-Accept-Content-Length"), std::to_string(kMaxBody));
  EXPECT_EQ(r->get_header_value("X-OpenRosa-Version"), "1.0");
}

TEST_F(OpenRosaIntegrationTest, CollectsRequestCreatesThenDuplicatesThenRefusesOtherContent) {
  // Recorded from ODK Collect v2024.2: its headers, boundary style and part order.
  const std::string id = "uuid:0b4f6c8e-2a5b-4a33-9f51-3c2a9f1e7d10";
  const std::string boundary = "----WebKitFormBoundaryd9eQfMV3H8rAuqTx";
  const std::string xml = Household(id, "5");
  const std::string body =
      absl::StrCat("--", boundary, "\r\n",
                   "Content-Disposition: form-data; name=\"xml_submission_file\"; "
                   "filename=\"displacement_household_2026-11-30_10-12-44.xml\"\r\n",
                   "Content-Type: text/xml\r\n\r\n", xml, "\r\n--", boundary, "--\r\n");
  httplib::Headers collect{{"X-OpenRosa-Version", "1.0"},
                           {"Date", "Mon, 30 Nov 2026 10:12:50 GMT+00:00"},
                           {"User-Agent", "org.odk.collect.android/v2024.2.4 okhttp/4.12.0"},
                           {"Accept-Encoding", "gzip"}};
  auto post = [&] {
    httplib::Client c = Http();
    return c.Post(absl::StrCat("/key/", ninewa_, "/submission").c_str(), collect, body,
                  ("multipart/form-data; boundary=" + boundary).c_str());
  };
  httplib::Result first = post();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 201) << first->body;
  EXPECT_THAT(first->body, HasSubstr("<OpenRosaResponse"));
  EXPECT_EQ(first->get_header_value("X-OpenRosa-Version"), "1.0");
  httplib::Result again = post();
  EXPECT_EQ(again->status, 202) << again->body;

  auto records = Records(ninewa_);
  ASSERT_EQ(records.count(id), 1u);
  EXPECT_EQ(records[id].fields().at("household_size").integer(), 5);
  EXPECT_EQ(records[id].fields().at("district").text(), "Mosul");
  EXPECT_EQ(records[id].version(), 1u);  // stored once

  httplib::Result other = SubmitXml(ninewa_, Household(id, "6"));
  EXPECT_EQ(other->status, 409) << other->body;
  EXPECT_EQ(Records(ninewa_)[id].fields().at("household_size").integer(), 5);
}

TEST_F(OpenRosaIntegrationTest, AttachmentInASecondRequestAndSplitSubmissions) {
  const std::string id = "uuid:5d7e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b";
  const std::string xml = Household(id, "4", "<photo>door.jpg</photo>");
  const std::string jpeg = std::string("\xff\xd8\xff\xe0", 4) + std::string(5000, 'j');
  // First the instance alone (*isIncomplete*: Collect splits big submissions).
  httplib::Result first = Submit(ninewa_, {{"xml_submission_file", "i.xml", "text/xml", xml},
                                           {"*isIncomplete*", "", "", "yes"}});
  EXPECT_EQ(first->status, 201) << first->body;
  EXPECT_EQ(Records(ninewa_)[id].fields().count("photo"), 0u);  // not here yet
  // Then the same instance with its photo.
  httplib::Result second = Submit(ninewa_, {{"xml_submission_file", "i.xml", "text/xml", xml},
                                            {"door.jpg", "door.jpg", "image/jpeg", jpeg}});
  EXPECT_EQ(second->status, 201) << second->body;
  auto rec = Records(ninewa_)[id];
  absl::StatusOr<AttachmentRef> ref = ParseAttachmentRef(rec.fields().at("photo").text());
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->sha256, Sha256Hex(jpeg));
  EXPECT_EQ(ref->size, jpeg.size());
  EXPECT_EQ(ref->media_type, "image/jpeg");
  EXPECT_EQ(ref->file_name, "door.jpg");
  // Everything again: nothing new.
  httplib::Result third = Submit(ninewa_, {{"xml_submission_file", "i.xml", "text/xml", xml},
                                           {"door.jpg", "door.jpg", "image/jpeg", jpeg}});
  EXPECT_EQ(third->status, 202) << third->body;
  EXPECT_EQ(Records(ninewa_)[id].version(), rec.version());
}

TEST_F(OpenRosaIntegrationTest, DeprecatedIdEditsTheRecord) {
  const std::string id = "uuid:1f0e2d3c-4b5a-4969-8877-665544332211";
  const std::string edit = "uuid:9a8b7c6d-5e4f-4a3b-9c1d-0e0f1a2b3c4d";
  ASSERT_EQ(
      SubmitXml(ninewa_, Household(id, "3", "<children_under_5>1</children_under_5>"))->status,
      201);
  httplib::Result r = SubmitXml(
      ninewa_, Household(edit, "7", "", absl::StrCat("<deprecatedID>", id, "</deprecatedID>")));
  EXPECT_EQ(r->status, 201) << r->body;
  auto records = Records(ninewa_);
  ASSERT_EQ(records.count(id), 1u);
  EXPECT_EQ(records.count(edit), 0u);  // an edit, not a new record
  EXPECT_EQ(records[id].fields().at("household_size").integer(), 7);
  EXPECT_EQ(records[id].fields().count("children_under_5"), 0u);  // no longer answered
  EXPECT_EQ(records[id].version(), 2u);
  // The edit resent is a duplicate; an edit of the edit goes on the same record.
  EXPECT_EQ(SubmitXml(ninewa_, Household(edit, "7", "",
                                         absl::StrCat("<deprecatedID>", id, "</deprecatedID>")))
                ->status,
            202);
  EXPECT_EQ(SubmitXml(ninewa_, Household("uuid:e3", "8", "",
                                         absl::StrCat("<deprecatedID>", edit, "</deprecatedID>")))
                ->status,
            201);
  EXPECT_EQ(Records(ninewa_)[id].fields().at("household_size").integer(), 8);
}

TEST_F(OpenRosaIntegrationTest, InvalidAnswersAreKeptAsideWith201) {
  httplib::Result r = SubmitXml(ninewa_, Household("uuid:q1", "many"));
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_THAT(r->body, HasSubstr("kept aside for review"));
  EXPECT_THAT(r->body, HasSubstr("household_size"));
  EXPECT_EQ(Records(ninewa_).count("uuid:q1"), 0u);
}

TEST_F(OpenRosaIntegrationTest, IdentityAndScopeAreChecked) {
  EXPECT_EQ(Get("not-a-token", "/formList")->status, 401);
  EXPECT_EQ(Get(revoked_, "/formList")->status, 401);
  EXPECT_EQ(SubmitXml(revoked_, Household("uuid:r1", "2"))->status, 401);
  EXPECT_EQ(Get(feed_, "/formList")->status, 403);
  // A household in Ninewa from a device of Anbar: outside its scope, quarantined.
  httplib::Result anbar = SubmitXml(anbar_, Household("uuid:s1", "2"));
  EXPECT_EQ(anbar->status, 201);
  EXPECT_THAT(anbar->body, HasSubstr("scope"));
  // A form the device may not fill at all.
  const std::string crossing =
      "<data id=\"border_crossing\" version=\"1\"><border_point>BP-001</border_point>"
      "<meta><instanceID>uuid:b1</instanceID></meta></data>";
  EXPECT_EQ(SubmitXml(ninewa_, crossing)->status, 403);
  // The token is in no log line.
  const std::string log = server_->log();
  for (const auto* t : {&ninewa_, &anbar_, &revoked_, &feed_}) {
    EXPECT_THAT(log, Not(HasSubstr(*t)));
  }
}

TEST_F(OpenRosaIntegrationTest, MalformedAndHostileXmlIsRefused) {
  struct Case {
    const char* what;
    std::string xml;
  };
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
      "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
      "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]>"
      "<data id=\"displacement_household\" version=\"1\"><district>&lol4;</district>"
      "<meta><instanceID>uuid:x</instanceID></meta></data>";
  std::string deep = "<data id=\"displacement_household\" version=\"1\">";
  for (int i = 0; i < 5000; ++i) deep += "<a>";
  for (int i = 0; i < 5000; ++i) deep += "</a>";
  deep += "</data>";
  std::vector<Case> cases = {
      {"not XML", "this is not xml <"},
      {"billion laughs", laughs},
      {"deep nesting", deep},
      {"no instanceID", "<data id=\"displacement_household\" version=\"1\"/>"},
      {"unknown form",
       "<data id=\"nope\" version=\"1\"><meta><instanceID>uuid:n</instanceID>"
       "</meta></data>"},
      {"unknown version",
       absl::StrReplaceAll(Household("uuid:v", "1"), {{"version=\"1\"", "version=\"9\""}})},
      {"unknown element", Household("uuid:u", "1", "<secret>1</secret>")},
  };
  for (const auto& c : cases) {
    httplib::Result r = SubmitXml(ninewa_, c.xml);
    ASSERT_TRUE(r) << c.what;
    EXPECT_EQ(r->status, 400) << c.what << ": " << r->body;
    EXPECT_THAT(r->body, HasSubstr("<OpenRosaResponse")) << c.what;
    StillServing();
  }
  // No multipart at all.
  httplib::Client c = Http();
  EXPECT_EQ(
      c.Post(absl::StrCat("/key/", ninewa_, "/submission").c_str(), "<data/>", "text/xml")->status,
      400);
  // Huge text in one answer, and a body over the limit.
  httplib::Result huge = SubmitXml(
      ninewa_, Household("uuid:h", "1", "<team>" + std::string(kMaxBody, 't') + "</team>"));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  StillServing();
  EXPECT_EQ(Records(ninewa_).size(), 0u);  // nothing of any of it stored
}

}  // namespace
}  // namespace fieldsync::testing
