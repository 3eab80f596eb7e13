#include "netsample/spreadsheet/spreadsheet.h"

#include <gtest/gtest.h>

#include "netsample/zip/zip.h"
#include "testing.h"

namespace netsample::spreadsheet {
namespace {

std::vector<std::vector<std::string>> csv(std::string_view bytes) {
  auto table = read_csv(bytes);
  EXPECT_TRUE(table.ok()) << table.error().describe();
  return table.ok() ? table->rows : std::vector<std::vector<std::string>>{};
}

TEST(Csv, QuotesCommasAndLineBreaksInsideCells) {
  const auto rows = csv("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n,,\r\nlast");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"x, y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"last"}));
}

TEST(Csv, ExcelsUtf8ByteOrderMarkIsNotPartOfTheFirstHeader) {
  const auto rows = csv("\xEF\xBB\xBF任务编号,产品名称\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "任务编号");
}

TEST(Csv, GbkAsSavedByChineseExcelIsReadAsGb18030) {
  // "任务编号,电热水壶" in GBK, as "CSV (逗号分隔)" writes it on a Chinese Windows.
  const std::string gbk = "\xC8\xCE\xCE\xF1\xB1\xE0\xBA\xC5,\xB5\xE7\xC8\xC8\xCB\xAE\xBA\xF8\r\n";
  const auto rows = csv(gbk);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"任务编号", "电热水壶"}));
}

TEST(Csv, AnUnclosedQuoteNamesTheRowWhereItOpened) {
  auto table = read_csv("a,b\nc,\"open\nmore\n");
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.error().message.find("第 2 行"), std::string::npos) << table.error().message;
}

TEST(Csv, Utf16AndOldExcelFilesAreRefusedWithWhatToDo) {
  auto utf16 = read_csv(std::string("\xFF\xFE" "a\0,\0b\0", 8));
  ASSERT_FALSE(utf16.ok());
  EXPECT_NE(utf16.error().message.find("UTF-16"), std::string::npos);
  testing::TempDir dir;
  testing::write_text(dir / "old.xls", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8));
  auto xls = read_table(dir / "old.xls");
  ASSERT_FALSE(xls.ok());
  EXPECT_NE(xls.error().message.find(".xls"), std::string::npos);
}

TEST(ColumnNames, AsSpreadsheetProgramsShowThem) {
  EXPECT_EQ(column_name(0), "A");
  EXPECT_EQ(column_name(25), "Z");
  EXPECT_EQ(column_name(26), "AA");
  EXPECT_EQ(column_name(51), "AZ");
  EXPECT_EQ(column_name(702), "AAA");
}

// A workbook the way Excel writes one: the first sheet found through workbook.xml and its relationships (here
// not named sheet1), shared strings with rich-text runs and a phonetic guide, an inline string, numbers,
// a boolean, a formula's cached value, and cells and rows left out.
std::filesystem::path write_workbook(const testing::TempDir& dir, const std::string& shared_strings_xml) {
  const auto file = dir / "plan.xlsx";
  auto zip = zip::ZipWriter::create(file);
  EXPECT_TRUE(zip.ok());
  const std::string ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const std::string rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  EXPECT_TRUE(zip->add_bytes("[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>", true).ok());
  EXPECT_TRUE(zip->add_bytes("xl/workbook.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><workbook xmlns=\"" + ns +
                                                    "\" xmlns:r=\"" + rel + "\"><sheets><sheet name=\"计划\" sheetId=\"1\" r:id=\"rId7\"/>"
                                                    "<sheet name=\"说明\" sheetId=\"2\" r:id=\"rId8\"/></sheets></workbook>", true).ok());
  EXPECT_TRUE(zip->add_bytes("xl/_rels/workbook.xml.rels",
                             "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                             "<Relationship Id=\"rId8\" Type=\"t\" Target=\"worksheets/sheet1.xml\"/>"
                             "<Relationship Id=\"rId7\" Type=\"t\" Target=\"/xl/worksheets/sheet2.xml\"/></Relationships>", true).ok());
  EXPECT_TRUE(zip->add_bytes("xl/sharedStrings.xml", shared_strings_xml, true).ok());
  EXPECT_TRUE(zip->add_bytes("xl/worksheets/sheet1.xml", "<worksheet xmlns=\"" + ns + "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>说明页</t></is></c></row></sheetData></worksheet>", true).ok());
  EXPECT_TRUE(zip->add_bytes("xl/worksheets/sheet2.xml",
                             "<?xml version=\"1.0\"?><worksheet xmlns=\"" + ns + "\"><sheetData>"
                             "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1</v></c></row>"
                             "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>CQ-1</t></is></c><c r=\"B3\"><v>2</v></c>"
                             "<c r=\"C3\" t=\"b\"><v>1</v></c><c r=\"D3\" t=\"str\"><f>A3&amp;\"x\"</f><v>CQ-1x</v></c></row>"
                             "</sheetData></worksheet>", true).ok());
  EXPECT_TRUE(zip->close([](double) {}).ok());
  return file;
}

TEST(Xlsx, TheFirstSheetWithSharedInlineNumberBooleanAndFormulaCells) {
  testing::TempDir dir;
  const auto file = write_workbook(dir, "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
                                        "<si><t>任务编号</t></si>"
                                        "<si><r><rPr><b/></rPr><t>产品</t></r><r><t>名称</t></r><rPh><t>チャンピン</t></rPh></si></sst>");
  auto table = read_table(file);
  ASSERT_TRUE(table.ok()) << table.error().describe();
  ASSERT_EQ(table->rows.size(), 3u);
  EXPECT_EQ(table->cell(0, 0), "任务编号");
  EXPECT_EQ(table->cell(0, 1), "");
  EXPECT_EQ(table->cell(0, 2), "产品名称");
  EXPECT_TRUE(table->rows[1].empty());  // row 2 left out of the file
  EXPECT_EQ(table->cell(2, 0), "CQ-1");
  EXPECT_EQ(table->cell(2, 1), "2");
  EXPECT_EQ(table->cell(2, 2), "TRUE");
  EXPECT_EQ(table->cell(2, 3), "CQ-1x");
}

TEST(Xlsx, EntitiesAreNeverExpanded) {
  testing::TempDir dir;
  testing::write_text(dir / "secret.txt", "SECRET");
  const auto file = write_workbook(dir, "<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY x SYSTEM \"file://" + (dir / "secret.txt").string() +
                                            "\">]><sst><si><t>&x;</t></si><si><t>b</t></si></sst>");
  auto table = read_table(file);
  // Either way nothing of the file named by the entity comes out (libxml2 leaves an undefined reference empty).
  if (table.ok()) {
    for (const auto& row : table->rows)
      for (const auto& cell : row) EXPECT_EQ(cell.find("SECRET"), std::string::npos);
  }
}

TEST(Xlsx, ABrokenWorkbookIsAnErrorNotACrash) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.xlsx", std::string("PK\x03\x04 not really a zip", 22));
  auto table = read_table(dir / "bad.xlsx");
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.error().message.find("XLSX"), std::string::npos);

  const auto file = write_workbook(dir, "<sst><si><t>only one</t></si></sst>");  // cell C1 refers to string 1
  auto missing = read_table(file);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("共享字符串"), std::string::npos);
}

}  // namespace
}  // namespace netsample::spreadsheet
