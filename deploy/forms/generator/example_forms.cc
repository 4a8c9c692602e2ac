#include "deploy/forms/generator/example_forms.h"

#include <map>

namespace fieldsync::examples {
namespace {

const std::vector<std::string> kSurvey = {"type",
                                          "name",
                                          "label::English (en)",
                                          "label::Arabic (ar)",
                                          "label::Kurdish (ku)",
                                          "hint::English (en)",
                                          "required",
                                          "relevant",
                                          "constraint",
                                          "constraint_message::English (en)",
                                          "constraint_message::Arabic (ar)",
                                          "constraint_message::Kurdish (ku)",
                                          "calculation",
                                          "default",
                                          "appearance",
                                          "choice_filter",
                                          "repeat_count",
                                          "pii"};

using Cells = std::map<std::string, std::string>;

// A survey row: type, name, labels in English, Arabic and Kurdish, other columns by name.
std::vector<std::string> Q(const std::string& type, const std::string& name, const std::string& en,
                           const std::string& ar, const std::string& ku, Cells more = {}) {
  more["type"] = type;
  more["name"] = name;
  more["label::English (en)"] = en;
  more["label::Arabic (ar)"] = ar;
  more["label::Kurdish (ku)"] = ku;
  std::vector<std::string> row(kSurvey.size());
  for (size_t i = 0; i < kSurvey.size(); ++i) {
    auto it = more.find(kSurvey[i]);
    if (it != more.end()) row[i] = it->second;
  }
  return row;
}

// A constraint with its message in the three languages.
Cells Check(const std::string& constraint, const std::string& en, const std::string& ar,
            const std::string& ku, Cells more = {}) {
  more["constraint"] = constraint;
  more["constraint_message::English (en)"] = en;
  more["constraint_message::Arabic (ar)"] = ar;
  more["constraint_message::Kurdish (ku)"] = ku;
  return more;
}

const std::vector<std::string> kChoices = {
    "list_name", "name", "label::English (en)", "label::Arabic (ar)", "label::Kurdish (ku)", "gov"};

std::vector<std::string> C(const std::string& list, const std::string& name, const std::string& en,
                           const std::string& ar, const std::string& ku,
                           const std::string& gov = "") {
  return {list, name, en, ar, ku, gov};
}

void Governorates(Rows* c) {
  c->push_back(C("governorate", "ninewa", "Ninewa", "نينوى", "نەینەوا"));
  c->push_back(C("governorate", "anbar", "Anbar", "الأنبار", "ئەنبار"));
  c->push_back(C("governorate", "salah_al_din", "Salah al-Din", "صلاح الدين", "سەلاحەدین"));
  c->push_back(C("governorate", "kirkuk", "Kirkuk", "كركوك", "کەرکووک"));
  c->push_back(C("governorate", "duhok", "Duhok", "دهوك", "دهۆک"));
  c->push_back(C("governorate", "erbil", "Erbil", "أربيل", "هەولێر"));
}

void YesNo(Rows* c) {
  c->push_back(C("yes_no", "yes", "Yes", "نعم", "بەڵێ"));
  c->push_back(C("yes_no", "no", "No", "لا", "نەخێر"));
}

Workbook Household() {
  Rows s = {kSurvey};
  s.push_back(Q("start", "started", "", "", ""));
  s.push_back(Q("end", "ended", "", "", ""));
  s.push_back(Q("deviceid", "device", "", "", ""));
  s.push_back(Q("date", "visit_date", "Date of visit", "تاريخ الزيارة", "ڕێکەوتی سەردان",
                {{"required", "yes"},
                 {"default", "today()"},
                 {"constraint", ". <= today()"},
                 {"constraint_message::English (en)", "The visit cannot be in the future"},
                 {"constraint_message::Arabic (ar)", "لا يمكن أن تكون الزيارة في المستقبل"},
                 {"constraint_message::Kurdish (ku)", "سەردان ناتوانێت لە داهاتوودا بێت"}}));
  s.push_back(Q("select_one governorate", "governorate", "Governorate", "المحافظة", "پارێزگا",
                {{"required", "yes"}}));
  s.push_back(Q("select_one district", "district", "District", "القضاء", "قەزا",
                {{"required", "yes"}, {"choice_filter", "gov = ${governorate}"}}));
  s.push_back(Q("geopoint", "location", "Location of the household", "موقع الأسرة", "شوێنی خێزان"));
  s.push_back(Q("select_one yes_no", "consent", "Does the household agree to the interview?",
                "هل توافق الأسرة على المقابلة؟", "ئایا خێزان ڕازییە بە چاوپێکەوتن؟",
                {{"required", "yes"}}));
  s.push_back(Q("begin group", "household", "Household", "الأسرة", "خێزان",
                {{"relevant", "${consent} = 'yes'"}}));
  s.push_back(Q("text", "head_name", "Name of the head of household", "اسم رب الأسرة",
                "ناوی سەرۆکی خێزان", {{"pii", "yes"}}));
  s.push_back(Q("integer", "hh_size", "How many people live in the household?",
                "كم عدد أفراد الأسرة؟", "چەند کەس لە خێزانەکەدا دەژین؟",
                Check(". >= 1 and . <= 60", "Between 1 and 60 people", "بين 1 و 60 شخصاً",
                      "لە نێوان 1 بۆ 60 کەس", {{"required", "yes"}})));
  s.push_back(Q(
      "integer", "children_under_5", "How many of them are children under 5?",
      "كم منهم أطفال دون الخامسة؟", "چەند منداڵی خوار 5 ساڵ هەن؟",
      Check(". >= 0 and . <= ${hh_size}", "Children under 5 cannot be more than the household size",
            "لا يمكن أن يزيد عدد الأطفال دون الخامسة عن حجم الأسرة",
            "ژمارەی منداڵانی خوار 5 ساڵ نابێت لە قەبارەی خێزان زیاتر بێت",
            {{"required", "${hh_size} > 1"}})));
  s.push_back(Q("date", "displaced_since", "Since when is the household displaced?",
                "منذ متى نزحت الأسرة؟", "خێزانەکە لە کەیەوە ئاوارەیە؟",
                Check(". <= ${visit_date}", "Displacement must start before the visit",
                      "يجب أن يبدأ النزوح قبل الزيارة", "ئاوارەبوون دەبێت پێش سەردان بێت")));
  s.push_back(Q("select_one shelter", "shelter", "Type of shelter", "نوع المأوى", "جۆری پەناگە",
                {{"appearance", "minimal"}}));
  s.push_back(Q("select_multiple needs", "needs", "Priority needs", "الاحتياجات ذات الأولوية",
                "پێداویستییە سەرەکییەکان",
                Check("not(selected(., 'none') and count-selected(.) > 1)",
                      "'None' cannot be combined with other needs",
                      "لا يمكن الجمع بين 'لا شيء' واحتياجات أخرى",
                      "'هیچ' ناتوانرێت لەگەڵ پێداویستی تر هەڵبژێردرێت")));
  s.push_back(Q("select_one yes_no", "intends_to_return", "Does the household intend to return?",
                "هل تنوي الأسرة العودة؟", "ئایا خێزان نیازی گەڕانەوەی هەیە؟"));
  s.push_back(Q("select_one return_time", "return_when", "When?", "متى؟", "کەی؟",
                {{"relevant", "${intends_to_return} = 'yes'"}}));
  s.push_back(Q("end group", "", "", "", ""));
  s.push_back(Q("begin repeat", "members", "Household members", "أفراد الأسرة", "ئەندامانی خێزان",
                {{"relevant", "${consent} = 'yes'"}, {"repeat_count", "${hh_size}"}}));
  s.push_back(Q("text", "member_name", "Name", "الاسم", "ناو", {{"pii", "yes"}}));
  s.push_back(Q("select_one sex", "sex", "Sex", "الجنس", "ڕەگەز", {{"required", "yes"}}));
  s.push_back(Q(
      "integer", "age", "Age in years", "العمر بالسنوات", "تەمەن بە ساڵ",
      Check(". >= 0 and . <= 120", "Age must be between 0 and 120", "يجب أن يكون العمر بين 0 و 120",
            "تەمەن دەبێت لە نێوان 0 بۆ 120 بێت", {{"required", "yes"}})));
  s.push_back(Q("select_one relationship", "relationship", "Relationship to the head",
                "صلة القرابة برب الأسرة", "پەیوەندی بە سەرۆکی خێزان", {{"required", "yes"}}));
  s.push_back(Q("select_one yes_no", "disability", "Does this person have a disability?",
                "هل لدى هذا الشخص إعاقة؟", "ئایا ئەم کەسە کەمئەندامە؟",
                {{"relevant", "${age} >= 5"}}));
  s.push_back(Q("select_one yes_no", "in_school", "Does this child attend school?",
                "هل يذهب هذا الطفل إلى المدرسة؟", "ئایا ئەم منداڵە دەچێتە قوتابخانە؟",
                {{"relevant", "${age} >= 6 and ${age} <= 17"}}));
  s.push_back(Q("end repeat", "", "", "", ""));
  s.push_back(Q("calculate", "members_listed", "", "", "", {{"calculation", "count(${members})"}}));
  s.push_back(Q("note", "roster_mismatch",
                "The roster lists ${members_listed} people, the household size is ${hh_size}",
                "قائمة الأفراد تضم ${members_listed} أشخاص وحجم الأسرة ${hh_size}",
                "لیستەکە ${members_listed} کەس لەخۆدەگرێت، قەبارەی خێزان ${hh_size}ە",
                {{"relevant", "${consent} = 'yes' and ${members_listed} != ${hh_size}"}}));

  Rows c = {kChoices};
  Governorates(&c);
  c.push_back(C("district", "mosul", "Mosul", "الموصل", "مووسڵ", "ninewa"));
  c.push_back(C("district", "sinjar", "Sinjar", "سنجار", "شنگال", "ninewa"));
  c.push_back(C("district", "ramadi", "Ramadi", "الرمادي", "ڕەمادی", "anbar"));
  c.push_back(C("district", "falluja", "Falluja", "الفلوجة", "فەللووجە", "anbar"));
  c.push_back(C("district", "tikrit", "Tikrit", "تكريت", "تکریت", "salah_al_din"));
  c.push_back(C("district", "kirkuk", "Kirkuk", "كركوك", "کەرکووک", "kirkuk"));
  c.push_back(C("district", "zakho", "Zakho", "زاخو", "زاخۆ", "duhok"));
  c.push_back(C("district", "erbil", "Erbil", "أربيل", "هەولێر", "erbil"));
  YesNo(&c);
  c.push_back(C("sex", "female", "Female", "أنثى", "مێ"));
  c.push_back(C("sex", "male", "Male", "ذكر", "نێر"));
  c.push_back(C("relationship", "head", "Head of household", "رب الأسرة", "سەرۆکی خێزان"));
  c.push_back(C("relationship", "spouse", "Spouse", "الزوج/الزوجة", "هاوسەر"));
  c.push_back(C("relationship", "child", "Son or daughter", "ابن أو ابنة", "کوڕ یان کچ"));
  c.push_back(C("relationship", "parent", "Parent", "أحد الوالدين", "دایک یان باوک"));
  c.push_back(C("relationship", "sibling", "Brother or sister", "أخ أو أخت", "برا یان خوشک"));
  c.push_back(C("relationship", "other_relative", "Other relative", "قريب آخر", "خزمی تر"));
  c.push_back(C("relationship", "non_relative", "Not related", "ليس من الأقارب", "خزم نییە"));
  c.push_back(C("shelter", "camp", "Camp", "مخيم", "کەمپ"));
  c.push_back(C("shelter", "host_family", "With a host family", "مع أسرة مضيفة",
                "لەگەڵ خێزانێکی میواندار"));
  c.push_back(C("shelter", "rented", "Rented housing", "سكن مستأجر", "خانووی بەکرێ"));
  c.push_back(C("shelter", "unfinished_building", "Unfinished building", "مبنى غير مكتمل",
                "بینای تەواونەکراو"));
  c.push_back(C("shelter", "informal_settlement", "Informal settlement", "تجمع غير رسمي",
                "نیشتەجێبوونی نافەرمی"));
  c.push_back(C("needs", "food", "Food", "غذاء", "خۆراک"));
  c.push_back(C("needs", "water", "Water", "ماء", "ئاو"));
  c.push_back(C("needs", "shelter", "Shelter", "مأوى", "پەناگە"));
  c.push_back(C("needs", "health", "Health care", "رعاية صحية", "چاودێری تەندروستی"));
  c.push_back(C("needs", "documentation", "Documentation", "وثائق", "بەڵگەنامە"));
  c.push_back(C("needs", "livelihood", "Livelihood", "سبل العيش", "بژێوی"));
  c.push_back(C("needs", "none", "None", "لا شيء", "هیچ"));
  c.push_back(
      C("return_time", "within_3_months", "Within 3 months", "خلال 3 أشهر", "لە ماوەی 3 مانگدا"));
  c.push_back(C("return_time", "within_a_year", "Within a year", "خلال سنة", "لە ماوەی ساڵێکدا"));
  c.push_back(C("return_time", "later", "Later", "لاحقاً", "دواتر"));

  Rows settings = {
      {"form_id", "form_title", "version", "default_language", "instance_name",
       "fieldsync_scope_fields", "fieldsync_edit_policy", "fieldsync_aggregations"},
      {"dtm_household", "DTM household survey", "2026120201", "English (en)",
       "concat(${governorate}, ' ', ${district}, ' ', ${visit_date})", "governorate", "mutable",
       "households_per_governorate: group_by governorate district; time visit_date week; "
       "count households; sum individuals hh_size"}};
  return Workbook{"dtm_household.xlsx", {{"survey", s}, {"choices", c}, {"settings", settings}}};
}

Workbook FlowMonitoring() {
  Rows s = {kSurvey};
  s.push_back(Q("start", "started", "", "", ""));
  s.push_back(Q("deviceid", "device", "", "", ""));
  s.push_back(Q("select_one border_point", "border_point", "Border point", "المنفذ الحدودي",
                "خاڵی سنووری", {{"required", "yes"}}));
  s.push_back(Q("date", "crossing_date", "Date", "التاريخ", "ڕێکەوت",
                {{"required", "yes"}, {"default", "today()"}}));
  s.push_back(Q("time", "crossing_time", "Time", "الوقت", "کات"));
  s.push_back(Q("select_one direction", "direction", "Direction", "الاتجاه", "ئاراستە",
                {{"required", "yes"}, {"appearance", "horizontal"}}));
  s.push_back(Q("select_one nationality", "nationality", "Nationality of the group",
                "جنسية المجموعة", "نەتەوەی گرووپەکە", {{"required", "yes"}}));
  s.push_back(Q("text", "nationality_other", "Other nationality", "جنسية أخرى", "نەتەوەی تر",
                Check("regex(., '^[A-Z]{3}$')", "Three capital letters (ISO 3166-1 alpha-3)",
                      "ثلاثة أحرف كبيرة (ISO 3166-1)", "سێ پیتی گەورە (ISO 3166-1)",
                      {{"relevant", "${nationality} = 'other'"}, {"required", "yes"}})));
  s.push_back(Q("select_one purpose", "purpose", "Purpose of travel", "الغرض من السفر",
                "مەبەستی گەشت", {{"required", "yes"}}));
  s.push_back(Q("integer", "group_size", "People in the group", "عدد الأشخاص في المجموعة",
                "ژمارەی کەسەکانی گرووپ",
                Check(". >= 1 and . <= 500", "Between 1 and 500 people", "بين 1 و 500 شخص",
                      "لە نێوان 1 بۆ 500 کەس", {{"required", "yes"}})));
  s.push_back(Q("integer", "children", "Children under 18 in the group",
                "الأطفال دون 18 في المجموعة", "منداڵانی خوار 18 ساڵ لە گرووپەکەدا",
                Check(". >= 0 and . <= ${group_size}", "Cannot exceed the group size",
                      "لا يمكن أن يتجاوز حجم المجموعة", "نابێت لە قەبارەی گرووپ زیاتر بێت")));
  s.push_back(Q("integer", "women", "Women in the group", "النساء في المجموعة",
                "ئافرەتان لە گرووپەکەدا",
                Check(". >= 0 and . + coalesce(${children}, 0) <= ${group_size}",
                      "Women and children together cannot exceed the group size",
                      "لا يمكن أن يتجاوز مجموع النساء والأطفال حجم المجموعة",
                      "کۆی ئافرەتان و منداڵان نابێت لە قەبارەی گرووپ زیاتر بێت")));
  s.push_back(Q("select_one transport", "transport", "Means of transport", "وسيلة النقل",
                "ئامرازی گواستنەوە"));
  s.push_back(Q("select_multiple vulnerability", "vulnerabilities", "Vulnerabilities observed",
                "مواطن الضعف الملاحظة", "لاوازییە بینراوەکان",
                Check("not(selected(., 'none') and count-selected(.) > 1)",
                      "'None' cannot be combined with others", "لا يمكن الجمع بين 'لا شيء' وغيره",
                      "'هیچ' لەگەڵ ئەوانی تر ناگونجێت")));
  s.push_back(Q("text", "document_number", "Travel document number", "رقم وثيقة السفر",
                "ژمارەی بەڵگەنامەی گەشت", {{"pii", "yes"}}));
  s.push_back(Q("text", "notes", "Notes", "ملاحظات", "تێبینی", {{"appearance", "multiline"}}));

  Rows c = {kChoices};
  c.push_back(
      C("border_point", "ibrahim_khalil", "Ibrahim Khalil", "إبراهيم الخليل", "ئیبراهیم خەلیل"));
  c.push_back(C("border_point", "rabia", "Rabia", "ربيعة", "ڕەبیعە"));
  c.push_back(C("border_point", "al_qaim", "Al-Qaim", "القائم", "قائیم"));
  c.push_back(C("border_point", "peshkhabour", "Peshkhabour", "فيشخابور", "پێشخابوور"));
  c.push_back(C("border_point", "haji_omaran", "Haji Omaran", "حاج عمران", "حاجی ئۆمەران"));
  c.push_back(C("direction", "entry", "Entry", "دخول", "هاتنەژوورەوە"));
  c.push_back(C("direction", "exit", "Exit", "خروج", "چوونەدەرەوە"));
  c.push_back(C("nationality", "IRQ", "Iraqi", "عراقي", "عێراقی"));
  c.push_back(C("nationality", "SYR", "Syrian", "سوري", "سووری"));
  c.push_back(C("nationality", "TUR", "Turkish", "تركي", "تورک"));
  c.push_back(C("nationality", "IRN", "Iranian", "إيراني", "ئێرانی"));
  c.push_back(C("nationality", "other", "Other", "أخرى", "تر"));
  c.push_back(C("purpose", "work", "Work", "عمل", "کار"));
  c.push_back(C("purpose", "family", "Family visit", "زيارة عائلية", "سەردانی خێزان"));
  c.push_back(C("purpose", "trade", "Trade", "تجارة", "بازرگانی"));
  c.push_back(C("purpose", "return", "Return home", "العودة إلى الوطن", "گەڕانەوە بۆ نیشتمان"));
  c.push_back(C("purpose", "displacement", "Fleeing", "نزوح", "ئاوارەبوون"));
  c.push_back(C("purpose", "transit", "Transit", "عبور", "تێپەڕین"));
  c.push_back(C("transport", "foot", "On foot", "سيراً على الأقدام", "بە پێ"));
  c.push_back(C("transport", "car", "Car", "سيارة", "ئۆتۆمبێل"));
  c.push_back(C("transport", "bus", "Bus", "حافلة", "پاس"));
  c.push_back(C("transport", "truck", "Truck", "شاحنة", "بارهەڵگر"));
  c.push_back(C("vulnerability", "unaccompanied_child", "Unaccompanied child", "طفل غير مصحوب",
                "منداڵی بێ سەرپەرشت"));
  c.push_back(C("vulnerability", "disability", "Person with a disability", "شخص ذو إعاقة",
                "کەسی کەمئەندام"));
  c.push_back(C("vulnerability", "elderly", "Elderly person", "كبير السن", "بەساڵاچوو"));
  c.push_back(C("vulnerability", "pregnant", "Pregnant woman", "امرأة حامل", "ئافرەتی دووگیان"));
  c.push_back(C("vulnerability", "none", "None", "لا شيء", "هیچ"));

  Rows settings = {
      {"form_id", "form_title", "version", "default_language", "instance_name",
       "fieldsync_scope_fields", "fieldsync_edit_policy", "fieldsync_aggregations"},
      {"border_flow_monitoring", "Flow monitoring at border points", "2026120201", "English (en)",
       "concat(${border_point}, ' ', ${crossing_date}, ' ', ${direction})", "border_point",
       "append_only",
       "crossings_per_point_day: group_by border_point direction nationality; time "
       "crossing_date day; count crossings; sum people group_size\n"
       "purpose_per_month: group_by border_point purpose; time crossing_date month; count "
       "crossings; sum people group_size"}};
  return Workbook{"border_flow_monitoring.xlsx",
                  {{"survey", s}, {"choices", c}, {"settings", settings}}};
}

}  // namespace

std::vector<Workbook> ExampleForms() { return {Household(), FlowMonitoring()}; }

}  // namespace fieldsync::examples
