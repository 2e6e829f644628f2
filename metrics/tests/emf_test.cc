// metrics/emf.h: valid EMF documents whose values are the reconcile's.
#include "metrics/emf.h"

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "testing/emf_check.h"

namespace drsnap::metrics {
namespace {

using nlohmann::json;

TEST(EmfTest, OneLineForTheReconcileAndOnePerFailureKind) {
  engine::StatusReport status;
  for (auto s : {engine::RpoState::kOk, engine::RpoState::kBreached, engine::RpoState::kBreached,
                 engine::RpoState::kUnknown}) {
    engine::TargetStatus row;
    row.state = s;
    status.rows.push_back(row);
  }
  EmfInput in;
  in.timestamp = *ParseIso8601("2026-11-23T06:00:00Z");
  in.side = "vault";
  in.status = &status;
  in.findings = {engine::Finding{engine::Finding::Severity::kError, "p", "db", {}, "key"}};
  in.failures[{"vault", "KMSKeyNotAccessibleFault"}] = 2;
  in.failures[{"expire", "InvalidDBSnapshotState"}] = 1;
  in.incomplete_scopes = 1;
  in.success = false;
  std::vector<std::string> lines = EmfLines(in);
  ASSERT_EQ(lines.size(), 3u);
  std::vector<json> docs;
  for (const auto& l : lines) {
    EXPECT_EQ(l.find('\n'), std::string::npos);
    docs.push_back(json::parse(l));
    EXPECT_EQ(testing::EmfProblems(docs.back()), "") << l;
    EXPECT_EQ(docs.back()["_aws"]["Timestamp"], 1795413600000) << l;
    EXPECT_EQ(docs.back()["_aws"]["CloudWatchMetrics"][0]["Namespace"], "drsnap");
  }
  const json& main = docs[0];
  EXPECT_EQ(main["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json::parse("[[\"Side\"]]"));
  EXPECT_EQ(main["Side"], "vault");
  EXPECT_EQ(main["PairsOk"], 1);
  EXPECT_EQ(main["PairsAtRisk"], 0);
  EXPECT_EQ(main["PairsBreached"], 2);
  EXPECT_EQ(main["PairsUnknown"], 1);
  EXPECT_EQ(main["FindingsError"], 1);
  EXPECT_EQ(main["FindingsWarning"], 0);
  EXPECT_EQ(main["FindingsInfo"], 0);
  EXPECT_EQ(main["ActionFailures"], 3);
  EXPECT_EQ(main["IncompleteScopes"], 1);
  EXPECT_EQ(main["ReconcileSuccess"], 0);
  EXPECT_EQ(main["_aws"]["CloudWatchMetrics"][0]["Metrics"].size(), 10u);
  // Per kind: sorted by stage, then code.
  EXPECT_EQ(docs[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json::parse("[[\"Side\",\"Stage\",\"Code\"]]"));
  EXPECT_EQ(docs[1]["Stage"], "expire");
  EXPECT_EQ(docs[1]["Code"], "InvalidDBSnapshotState");
  EXPECT_EQ(docs[1]["ActionFailures"], 1);
  EXPECT_EQ(docs[2]["Stage"], "vault");
  EXPECT_EQ(docs[2]["ActionFailures"], 2);
}

TEST(EmfTest, TheCheckerRefusesWhatCloudWatchWouldNotExtract) {
  json good = json::parse(
      R"({"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["D"]],)"
      R"("Metrics":[{"Name":"M","Unit":"Count"}]}]},"D":"x","M":1})");
  EXPECT_EQ(testing::EmfProblems(good), "");
  json bad = good;
  bad["M"] = "1";  // a metric must be a number
  EXPECT_NE(testing::EmfProblems(bad), "");
  bad = good;
  bad.erase("D");  // a dimension must be a member
  EXPECT_NE(testing::EmfProblems(bad), "");
  bad = good;
  bad["_aws"]["Timestamp"] = "now";
  EXPECT_NE(testing::EmfProblems(bad), "");
  bad = good;
  bad["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Pairs";
  EXPECT_NE(testing::EmfProblems(bad), "");
}

}  // namespace
}  // namespace drsnap::metrics
