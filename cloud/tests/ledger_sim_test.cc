// drsnap's ledger (engine/ledger.h) through the real AWS layer against
// drsnap-sim: AwsCloud keeps it as the tags of the `drsnap-ledger` DB
// parameter group, created with the first entry of a scope; a scope without
// one reads as empty; entries round-trip through AWS's tag rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/time_util.h"
#include "engine/ledger.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap {
namespace {

using namespace drsnap::testing;
const engine::Scope kVaultEu{"222222222222", "eu-west-1"};
const engine::Scope kVaultUs{"222222222222", "us-east-1"};

TEST(LedgerSimTest, RefusalsRoundTripThroughAParameterGroupsTags) {
  auto p = StartSimPipeline(ProdAndVault(CustomerKeyInstance("orders")).Yaml(),
                            SimPolicy{}.Yaml());
  ASSERT_NE(p, nullptr);
  engine::Cloud& cloud = *p->cloud;

  // No ledger yet: empty, not an error.
  auto none = cloud.ReadLedger(kVaultEu);
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_TRUE(none->empty());

  const TimePoint t0 = *ParseIso8601("2026-12-07T10:00:00Z");
  engine::Action copy;
  copy.kind = engine::ActionKind::kCopySnapshot;
  copy.scope = kVaultEu;
  copy.snapshot_id = "drsnap-111111111111-orders-202612070400";
  // AWS's message with characters tags do not allow ([], quotes, commas).
  Error refused = Error::Terminal(
      "KMSKeyNotAccessibleFault",
      "The source snapshot KMS key [arn:aws:kms:us-east-1:111111111111:key/x] does not exist, "
      "is not enabled or you do not have permissions to access it.");
  engine::Refusal first = engine::NextRefusal(nullptr, engine::RefusalKey(copy), refused, t0);
  auto [key, value] = engine::EncodeRefusal(first);
  ASSERT_TRUE(cloud.WriteLedger(kVaultEu, {{key, value}}, {}).has_value());
  ASSERT_TRUE(cloud.WriteLedger(kVaultEu, {{std::string(engine::kOneStepRefusedTag),
                                            FormatIso8601Seconds(t0)}},
                                {})
                  .has_value());

  auto tags = cloud.ReadLedger(kVaultEu);
  ASSERT_TRUE(tags.has_value()) << tags.error().ToString();
  engine::Ledger ledger = engine::DecodeLedger(*tags, t0 + std::chrono::hours(2));
  const engine::Refusal* r = ledger.Find(engine::RefusalKey(copy));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->count, 1);
  EXPECT_EQ(r->first, t0);
  EXPECT_EQ(r->code, "KMSKeyNotAccessibleFault");
  EXPECT_NE(r->message.find("does not exist"), std::string::npos) << r->message;
  EXPECT_EQ(ledger.one_step_copy_refused, t0);
  // Only where it was written.
  auto other = cloud.ReadLedger(kVaultUs);
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(other->empty());

  // Counted again, then forgotten.
  engine::Refusal second = engine::NextRefusal(r, r->action, refused, t0 + std::chrono::hours(1));
  auto [key2, value2] = engine::EncodeRefusal(second);
  ASSERT_EQ(key2, key);
  ASSERT_TRUE(cloud.WriteLedger(kVaultEu, {{key2, value2}}, {}).has_value());
  ledger = engine::DecodeLedger(*cloud.ReadLedger(kVaultEu), t0 + std::chrono::hours(2));
  ASSERT_NE(ledger.Find(engine::RefusalKey(copy)), nullptr);
  EXPECT_EQ(ledger.Find(engine::RefusalKey(copy))->count, 2);
  EXPECT_EQ(ledger.Find(engine::RefusalKey(copy))->first, t0);
  ASSERT_TRUE(cloud.WriteLedger(kVaultEu, {}, {key}).has_value());
  ledger = engine::DecodeLedger(*cloud.ReadLedger(kVaultEu), t0 + std::chrono::hours(2));
  EXPECT_EQ(ledger.Find(engine::RefusalKey(copy)), nullptr);
  EXPECT_TRUE(ledger.one_step_copy_refused.has_value());
}

}  // namespace
}  // namespace drsnap
