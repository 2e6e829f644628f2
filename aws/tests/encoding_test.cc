#include "aws/encoding.h"

#include <gtest/gtest.h>

namespace drsnap::aws {
namespace {

TEST(EncodingTest, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode(""), "");
  EXPECT_EQ(UriEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UriEncode(" "), "%20");
  EXPECT_EQ(UriEncode("a+b=c&d"), "a%2Bb%3Dc%26d");
  EXPECT_EQ(UriEncode("*'()!$,;:@?#[]"), "%2A%27%28%29%21%24%2C%3B%3A%40%3F%23%5B%5D");
  EXPECT_EQ(UriEncode("100%"), "100%25");
  EXPECT_EQ(UriEncode("%2F"), "%252F");  // never decodes: encoding twice is visible
  EXPECT_EQ(UriEncode(std::string_view("\0\x7f\xff", 3)), "%00%7F%FF");
}

TEST(EncodingTest, UriEncodeUtf8BytewiseUpperHex) {
  EXPECT_EQ(UriEncode("\xc3\xa9"), "%C3%A9");                // é
  EXPECT_EQ(UriEncode("\xe1\x88\xb4"), "%E1%88%B4");         // ሴ
  EXPECT_EQ(UriEncode("\xf0\x9f\x98\x80"), "%F0%9F%98%80");  // 😀
}

TEST(EncodingTest, UriEncodeSlash) {
  EXPECT_EQ(UriEncode("a/b"), "a%2Fb");
  EXPECT_EQ(UriEncode("a/b c/", /*encode_slash=*/false), "a/b%20c/");
  std::string out = "x=";
  AppendUriEncoded(&out, "/ ~", /*encode_slash=*/false);
  EXPECT_EQ(out, "x=/%20~");
}

TEST(EncodingTest, UriDecode) {
  EXPECT_EQ(UriDecode("a%20b%2Bc"), "a b+c");
  EXPECT_EQ(UriDecode("a+b"), "a+b");
  EXPECT_EQ(UriDecode("a+b", /*plus_as_space=*/true), "a b");
  EXPECT_EQ(UriDecode("%e1%88%B4"), "\xe1\x88\xb4");
  // Malformed escapes stay literal.
  EXPECT_EQ(UriDecode("%"), "%");
  EXPECT_EQ(UriDecode("%2"), "%2");
  EXPECT_EQ(UriDecode("%zz%4"), "%zz%4");
  EXPECT_EQ(UriDecode(UriEncode("any \xc3\xa9 /+=&% thing")), "any \xc3\xa9 /+=&% thing");
}

TEST(EncodingTest, FormUrlEncodeParamsIsQuotePlus) {
  EXPECT_EQ(FormUrlEncodeParams({}), "");
  EXPECT_EQ(FormUrlEncodeParams({{"Action", "DescribeDBSnapshots"}, {"Version", "2014-10-31"}}),
            "Action=DescribeDBSnapshots&Version=2014-10-31");
  // Order is kept (botocore does not sort the body).
  EXPECT_EQ(FormUrlEncodeParams({{"b", "1"}, {"a", "2"}}), "b=1&a=2");
  // Space is '+', a literal '+' is %2B, '*' is encoded, '~' kept, '/' encoded.
  EXPECT_EQ(FormUrlEncodeParams({{"k", "a b+c*d~e/f"}}), "k=a+b%2Bc%2Ad~e%2Ff");
  EXPECT_EQ(FormUrlEncodeParams({{"k", "x=y&z"}}), "k=x%3Dy%26z");
  EXPECT_EQ(FormUrlEncodeParams({{"Empty", ""}, {"", "v"}}), "Empty=&=v");
  EXPECT_EQ(FormUrlEncodeParams({{"Tags.Tag.1.Key", "\xc3\xa9t\xc3\xa9"}}),
            "Tags.Tag.1.Key=%C3%A9t%C3%A9");
  EXPECT_EQ(FormUrlEncodeParams({{"k", "\t\n"}}), "k=%09%0A");
}

TEST(EncodingTest, Sha256Hex) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EncodingTest, HmacSha256Rfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(HmacSha256("k", "d").size(), 32u);
}

TEST(EncodingTest, HexEncode) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string_view("\x00\x0f\xf0\xff", 4)), "000ff0ff");
}

}  // namespace
}  // namespace drsnap::aws
