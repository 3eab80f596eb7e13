// The lifecycle as data. Each row cites the articles it comes from; tests walk every row.
#include <map>

#include "netsample/workflow/lifecycle.h"

namespace netsample::workflow {
namespace {

FieldSpec text(std::string name, std::string label, bool required = true) {
  return {std::move(name), FieldType::text, required, {}, std::move(label)};
}
FieldSpec date(std::string name, std::string label) { return {std::move(name), FieldType::date, true, {}, std::move(label)}; }
FieldSpec flag(std::string name, std::string label) { return {std::move(name), FieldType::boolean, false, {}, std::move(label)}; }
FieldSpec choice(std::string name, std::vector<std::string> choices, std::string label) {
  return {std::move(name), FieldType::choice, true, std::move(choices), std::move(label)};
}

const std::vector<std::string> kApplicants = {"operator", "producer"};

}  // namespace

std::string choice_label(const std::string& choice) {
  // What a person reads in a form instead of the code; the item of the article where the regulation lists it.
  static const std::map<std::string, std::string> labels = {
      {"operator", "被抽样经营者"},
      {"producer", "生产者"},
      {"quantity_short", "数量不满足规定要求（第36条第一项）"},
      {"out_of_scope", "不在监督抽查任务范围内（第36条第二项）"},
      {"changed_in_transit", "运输途中性状改变，不满足检验要求（第36条第三项）"},
      {"other_legal", "其他依法应当退样的情形（第36条第四项）"},
      {"no_certificate", "无产品质量检验合格证明（第24条第一项）"},
      {"no_chinese_marking", "无中文标明的产品名称、厂名、厂址（第24条第二项）"},
      {"no_licence_or_ccc", "未标注有效的生产许可证或强制性认证编号（第24条第三项）"},
      {"obsolete", "属于国家明令淘汰的产品（第24条第四项）"},
      {"no_business_licence", "无营业执照（第24条第五项）"},
      {"other", "其他情形"},
      {"no_product", "被抽样对象无实施细则所列产品（第25条第一项）"},
      {"quantity_insufficient", "待销产品数量不符合实施细则要求（第25条第二项）"},
      {"stopped_business", "停业、歇业"},
      {"late_objection", "逾期未提出书面异议材料（第55条第一项）"},
      {"late_procedures", "逾期未办理复检手续（第55条第二项）"},
      {"onsite_result_confirmed", "现场检验结论已经异议申请人确认（第55条第三项）"},
      {"refused_cooperation", "无正当理由拒绝配合复检（第61条第一项）"},
      {"damaged_by_applicant", "因异议申请人原因样品受损无法复检（第61条第二项）"},
      {"sample_tampered", "复检用样品被擅自拆封、替换、变卖等（第61条第三项）"},
      {"violation_place", "违法行为发生地区县局（第63条）"},
      {"designated", "市局指定管辖（第63条）"},
      {"national_case", "国家监督抽查移交（第64条）"},
      {"other_region_case", "外省市移交（第64条）"},
      {"refused_rectification", "无正当理由拒绝整改（第67条）"},
      {"failed_reinspection", "整改后经复查仍不合格（第67条）"},
  };
  const auto it = labels.find(choice);
  return it == labels.end() ? choice : it->second;
}

const std::vector<StateInfo>& lifecycle_states() {
  static const std::vector<StateInfo> states = {
      {"planned", "计划", {20}},
      {"purchasing", "买样中", {35}},
      {"ordered", "已下单", {35}},
      {"in_transit", "运输中", {32}},
      {"received", "已收样待确认", {36}},
      {"sealed", "已封样", {37, 38, 39}},
      {"at_lab", "检验中", {40, 44}},
      {"conforming", "检验合格", {50}},
      {"objection_window", "异议期", {51, 52}},
      {"objection_review", "异议核查", {53, 54}},
      {"retest_requested", "复检申请待决", {54}},
      {"retest_procedures", "待办复检手续", {54}},
      {"retest_refused", "不予复检", {55}},
      {"retest_lab_pending", "待确定复检机构", {56}},
      {"retesting", "复检中", {57, 58}},
      {"retest_terminated", "复检终止", {61}},
      {"result_handling", "结果处理", {62, 63}},
      {"rectification", "责令整改", {65, 66}},
      {"suspended", "停产停售", {65, 70}},
      {"announced", "已公告", {67, 68}},
      {"business_stopped", "责令停业、限期整顿", {68}},
      {"licence_revoked", "吊销营业执照", {68}, true},
      {"transferred", "移送管辖", {63, 64}, true},
      {"not_sampled", "未抽样", {25, 27}},
      {"sampling_refused", "拒绝抽样", {28, 29}},
      {"terminated_unlawful", "终止：无需检验即可判定违法", {24, 42}},
      {"returned", "退样", {36}},
      {"rejected_at_lab", "检验机构拒收", {40}},
      {"test_interrupted", "检验中止", {45}},
      {"unreachable", "无法联系，移交执法", {73}, true},
      {"closed", "结案", {}, true},
  };
  return states;
}

const std::vector<Transition>& lifecycle_transitions() {
  using P = Precondition;
  static const std::vector<Transition> table = {
      // Sampling (Art 20-39)
      {{"planned"}, "start_purchase", "purchasing", {"sampler"}, {}, {35}, "开始买样（全程连续录像）"},
      {{"purchasing"}, "order_placed", "ordered", {"sampler", "system"}, {text("order_number", "订单号")}, {35}, "下单（检验样品与备用样品）"},
      {{"ordered"}, "shipped", "in_transit", {"sampler", "system"}, {text("courier", "快递公司"), text("tracking_number", "运单号")}, {32}, "发货，开始跟踪"},
      {{"ordered", "in_transit"}, "delivered", "received", {"sampler", "system"}, {date("delivered_date", "签收日期")}, {36}, "签收"},
      {{"received"}, "return_sample", "returned", {"sampler"},
       {choice("reason", {"quantity_short", "out_of_scope", "changed_in_transit", "other_legal"}, "退样理由（第36条第一至四项）"), text("note", "说明", false)},
       {36}, "退样"},
      {{"received"}, "seal", "sealed", {"sampler"},
       {text("inspection_seal", "检验样品封条编号"), text("backup_seal", "备用样品封条编号"), text("backup_storage", "备用样品暂存地点"),
        text("backup_keeper", "备用样品保管人"), date("sealed_date", "封样日期"), text("batch", "批号", false),
        text("production_date", "生产日期", false)},
       {31, 37, 38, 39}, "分别封样，填写网络抽样文书",
       P::none, {{"sampling_document", 39, {"operator"}, ""}}},
      {{"sealed"}, "lab_receive", "at_lab", {"tester"}, {date("received_date", "收样日期")}, {40}, "检验机构收样（封条完好、与抽样文书相符）"},
      {{"sealed"}, "lab_reject", "rejected_at_lab", {"tester"}, {text("reasons", "拒收理由")}, {40}, "检验机构拒收"},
      {{"purchasing", "received", "sealed"}, "terminate_unlawful", "terminated_unlawful", {"sampler"},
       {choice("situation", {"no_certificate", "no_chinese_marking", "no_licence_or_ccc", "obsolete", "no_business_licence", "other"}, "情形（第24条第一至六项）"),
        text("note", "说明", false)},
       {24}, "终止抽样：无需检验即可判定违法"},
      {{"at_lab"}, "terminate_unlawful", "terminated_unlawful", {"tester"}, {text("situation", "情形")}, {42}, "终止检验：无证无照等"},
      {{"planned", "purchasing"}, "not_sampled", "not_sampled", {"sampler"},
       {choice("reason", {"no_product", "quantity_insufficient", "stopped_business", "other"}, "不能抽样的情形"), text("evidence", "证明材料")},
       {25, 27}, "不得抽样 / 无样品可抽"},
      {{"planned", "purchasing"}, "operator_refused", "sampling_refused", {"sampler"}, {text("situation", "拒绝情形")}, {28}, "被抽样对象拒绝抽样"},
      // Inspection (Art 40-49)
      {{"at_lab"}, "interrupt_test", "test_interrupted", {"tester"}, {text("reason", "中止原因")}, {45}, "检验中止"},
      {{"test_interrupted"}, "resume_test", "at_lab", {"organizer"}, {text("decision", "处理决定")}, {45}, "恢复检验"},
      {{"at_lab"}, "report_conforming", "conforming", {"tester"}, {text("report_number", "检验报告编号"), date("report_date", "报告日期")},
       {46, 49, 50}, "检验结论合格", P::none, {{"result_conforming", 50, {"operator"}, ""}}},
      {{"at_lab"}, "report_nonconforming", "objection_window", {"tester"},
       {text("report_number", "检验报告编号"), date("report_date", "报告日期"), text("failed_items", "不合格项目"),
        flag("producer_outside_region", "生产者在本行政区域以外")},
       {46, 49, 51, 74}, "检验结论不合格，书面告知",
       P::none,
       {{"result_nonconforming", 51, {"operator", "platform", "producer"}, ""},
        {"result_to_producer_region", 74, {"producer_region_bureau"}, "producer_outside_region"}}},
      // Objections and retest (Art 51-61)
      {{"objection_window"}, "notice_received", "objection_window", {"organizer", "district", "system"},
       {choice("recipient", kApplicants, "收到告知的一方"), date("received_date", "收到书面告知之日")}, {52}, "记录书面告知的收到日期",
       P::none, {}, {{"objection", 52, 15, "days", "received_date", 0}}},
      {{"objection_window"}, "object_procedure", "objection_review", {"organizer"},
       {choice("applicant", kApplicants, "异议申请人"), date("received_date", "收到异议申请之日"), text("summary", "异议内容")},
       {52, 53, 54}, "对抽样过程、样品真实性提出异议", P::objection_in_time},
      {{"objection_window"}, "request_retest", "retest_requested", {"organizer"},
       {choice("applicant", kApplicants, "异议申请人"), date("received_date", "收到复检申请之日"), text("items", "申请复检的项目")},
       {52, 54}, "对检验结论提出异议并申请复检", P::objection_in_time},
      {{"objection_window"}, "window_expired", "result_handling", {"organizer", "district", "system"}, {}, {52}, "异议期届满未提出异议",
       P::objection_period_over},
      {{"objection_review"}, "maintain_result", "result_handling", {"organizer"}, {date("decision_date", "决定日期"), text("reasons", "核查结果")},
       {54}, "维持原检验结论", P::none, {{"objection_decision", 54, {"applicant"}, ""}}},
      {{"objection_review"}, "revoke_result", "closed", {"organizer"}, {date("decision_date", "决定日期"), text("reasons", "核查结果")},
       {54}, "撤销原检验结论", P::none, {{"objection_decision", 54, {"applicant"}, ""}}},
      {{"retest_requested"}, "accept_retest", "retest_procedures", {"organizer"}, {date("notice_received_date", "申请人收到复检通知之日")},
       {54}, "受理复检，出具复检通知", P::none, {{"retest_notice", 54, {"applicant"}, ""}},
       {{"retest_procedures", 54, 7, "days", "notice_received_date", 0}}},
      {{"retest_requested"}, "refuse_retest", "retest_refused", {"organizer"},
       {choice("reason", {"late_objection", "late_procedures", "onsite_result_confirmed", "other"}, "不予复检的情形（第55条）"),
        text("explanation", "理由")},
       {54, 55}, "不予受理复检，书面说明理由", P::none, {{"retest_refusal", 54, {"applicant"}, ""}}},
      {{"retest_procedures"}, "procedures_done", "retest_lab_pending", {"organizer"}, {date("procedures_date", "办理复检手续之日")},
       {54, 56}, "申请人办理复检手续", P::none, {}, {{"retest_lab", 56, 10, "days", "procedures_date", 0}}},
      {{"retest_procedures"}, "procedures_overdue", "retest_refused", {"organizer", "system"}, {}, {55}, "逾期未办理复检手续",
       P::retest_procedures_overdue, {{"retest_refusal", 55, {"applicant"}, ""}}},
      {{"retest_procedures", "retest_lab_pending", "retesting"}, "terminate_retest", "retest_terminated", {"organizer"},
       {choice("reason", {"refused_cooperation", "damaged_by_applicant", "sample_tampered", "other"}, "终止复检的情形（第61条）"),
        text("explanation", "说明")},
       {61}, "终止复检，维持初检结论"},
      {{"retest_lab_pending"}, "appoint_retest_lab", "retesting", {"organizer"}, {text("lab", "复检机构"), date("appointed_date", "确定日期")},
       {56, 57}, "确定复检机构"},
      {{"retesting"}, "retest_conforming", "closed", {"organizer"}, {text("report_number", "复检报告编号")}, {58}, "复检结论合格（最终结论）",
       P::none, {{"retest_result", 58, {"applicant"}, ""}}},
      {{"retesting"}, "retest_nonconforming", "result_handling", {"organizer"}, {text("report_number", "复检报告编号")}, {58},
       "复检结论不合格（最终结论）", P::none, {{"retest_result", 58, {"applicant"}, ""}}},
      {{"retest_refused", "retest_terminated"}, "continue_handling", "result_handling", {"organizer"}, {}, {55, 61}, "转入结果处理"},
      // Result handling (Art 62-74)
      {{"result_handling", "rectification"}, "approve_publication", "", {"organizer"}, {text("approved_by", "批准人")}, {62},
       "批准公开抽查结果"},
      {{"result_handling", "rectification"}, "publish", "", {"organizer"}, {date("published_date", "公开日期"), text("channel", "公开渠道")},
       {62}, "公开抽查结果并通报", P::publication_approved, {{"publication", 62, {"platform", "network_supervision"}, ""}}},
      {{"result_handling"}, "order_rectification", "rectification", {"district"},
       {text("order_number", "责令整改通知书编号"), date("order_date", "下达日期")}, {65, 66, 70}, "下达责令整改通知书",
       P::none, {{"rectification_order", 65, {"operator"}, ""}},
       {{"rectification", 65, 60, "days", "order_date", 0}, {"reinspection", 66, 75, "days", "order_date", 0}}},
      {{"result_handling"}, "transfer_jurisdiction", "transferred", {"organizer", "district"},
       {text("to", "移送至"), choice("basis", {"violation_place", "designated", "national_case", "other_region_case"}, "依据（第63、64条）")},
       {63, 64}, "移送管辖"},
      {{"rectification"}, "report_suspension", "suspended", {"district"}, {date("report_date", "停产停售报告日期")}, {65, 70}, "提交停产停售报告"},
      {{"suspended"}, "resume_production", "rectification", {"district"}, {date("resumed_date", "恢复生产销售日期")}, {65}, "恢复生产销售，继续整改"},
      {{"rectification"}, "reinspection_passed", "closed", {"district"}, {date("reinspection_date", "复查日期"), text("report_number", "复查报告编号")},
       {66}, "复查合格"},
      {{"rectification"}, "announce", "announced", {"organizer"},
       {choice("basis", {"refused_rectification", "failed_reinspection"}, "公告依据（第67条）"), date("announcement_date", "公告日期")},
       {67, 68}, "拒绝整改或复查仍不合格，向社会公告", P::none, {},
       {{"second_reinspection", 68, 90, "days", "announcement_date", 60}}},
      {{"announced"}, "second_reinspection_passed", "closed", {"district"}, {date("reinspection_date", "再次复查日期")}, {68}, "再次复查合格",
       P::in_second_reinspection_window},
      {{"announced"}, "second_reinspection_failed", "business_stopped", {"district"},
       {date("reinspection_date", "再次复查日期"), text("order_number", "责令停业整顿决定编号")}, {68}, "再次复查不合格，责令停业、限期整顿",
       P::in_second_reinspection_window},
      {{"business_stopped"}, "third_reinspection_passed", "closed", {"district"}, {date("reinspection_date", "第三次复查日期")}, {68}, "第三次复查合格"},
      {{"business_stopped"}, "third_reinspection_failed", "licence_revoked", {"district"}, {date("reinspection_date", "第三次复查日期")}, {68},
       "第三次复查仍不合格，吊销营业执照"},
      // Closing the side exits
      // Art 73: a nonconforming operator that cannot be reached at its registered addresses is handed to the
      // district bureau's enterprise supervision and enforcement units (the notices module applies it).
      {{"objection_window", "result_handling", "rectification"}, "operator_unreachable", "unreachable", {"organizer", "system"},
       {text("attempts", "送达尝试"), text("note", "说明", false)}, {73}, "被抽样对象无法联系，移交区县局企业监管和执法机构"},
      {{"conforming"}, "close", "closed", {"organizer"}, {text("summary", "结案说明", false)}, {48, 50}, "结案（合格）"},
      {{"returned"}, "close", "closed", {"organizer"}, {text("summary", "结案说明", false)}, {36}, "结案（退样）"},
      {{"rejected_at_lab"}, "close", "closed", {"organizer"}, {text("summary", "结案说明", false)}, {40}, "结案（拒收）"},
      {{"not_sampled"}, "close", "closed", {"organizer"}, {text("summary", "结案说明", false)}, {25, 27}, "结案（未抽样）"},
      {{"sampling_refused"}, "close", "closed", {"organizer", "district"}, {text("summary", "处理情况", false)}, {28, 29}, "结案（拒绝抽样，依法处理）"},
      {{"terminated_unlawful"}, "close", "closed", {"organizer"}, {text("summary", "结案说明", false)}, {24, 42}, "结案（移交查处）"},
      {{"test_interrupted"}, "close", "closed", {"organizer"}, {text("summary", "结案说明", false)}, {45}, "结案（检验无法继续）"},
  };
  return table;
}

const StateInfo* find_state(const std::string& id) {
  for (const auto& state : lifecycle_states())
    if (state.id == id) return &state;
  return nullptr;
}

std::string state_label(const std::string& id) {
  const StateInfo* state = find_state(id);
  return state ? state->label : id;
}

namespace {
std::string label_or_id(const std::map<std::string, std::string>& labels, const std::string& id) {
  const auto it = labels.find(id);
  return it == labels.end() ? id : it->second;
}
}  // namespace

std::string deadline_label(const std::string& kind) {
  static const std::map<std::string, std::string> labels = {
      {"objection", "异议期"},           {"retest_procedures", "办理复检手续"}, {"retest_lab", "确定复检机构"},
      {"rectification", "整改期"},       {"reinspection", "组织复查"},          {"second_reinspection", "再次复查"},
      {"duplicate_window", "不得重复抽查"}, {"retention", "资料保存期"}};
  return label_or_id(labels, kind);
}

std::string notice_label(const std::string& kind) {
  static const std::map<std::string, std::string> labels = {
      {"sampling_document", "网络抽样文书及监督抽查通知书"}, {"result_conforming", "检验结论合格告知"},
      {"result_nonconforming", "检验结论不合格告知"},       {"result_to_producer_region", "通报生产者所在地市场监管部门"},
      {"objection_decision", "异议处理结论"},               {"retest_notice", "复检通知"},
      {"retest_refusal", "不予复检告知"},                   {"retest_result", "复检结论告知"},
      {"publication", "抽查结果通报"},                      {"rectification_order", "责令整改通知书"}};
  return label_or_id(labels, kind);
}

std::string recipient_label(const std::string& role) {
  static const std::map<std::string, std::string> labels = {
      {"operator", "被抽样经营者"},   {"platform", "电子商务平台"}, {"producer", "标称生产者"},
      {"network_supervision", "网监机构"}, {"applicant", "异议申请人"},
      {"producer_region_bureau", "生产者所在地市场监管部门"}};
  return label_or_id(labels, role);
}

const std::vector<std::string>& deadline_live_states(const std::string& kind) {
  static const std::map<std::string, std::vector<std::string>> live = {
      {"objection", {"objection_window"}},
      {"retest_procedures", {"retest_procedures"}},
      {"retest_lab", {"retest_lab_pending"}},
      {"rectification", {"rectification", "suspended"}},
      {"reinspection", {"rectification", "suspended"}},
      {"second_reinspection", {"announced"}},
  };
  static const std::vector<std::string> not_state_bound;
  const auto it = live.find(kind);
  return it == live.end() ? not_state_bound : it->second;
}

}  // namespace netsample::workflow
