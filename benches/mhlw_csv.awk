# Writes an MHLW 介護サービス情報公表 open-data CSV (the 24-column layout of
# shared/reference, UTF-8 with BOM, CRLF) of invented offices, one per input line "lon lat".
# Used by benches/http_load.sh to time imports; the rows are synthetic, not published data.
#   awk -v first=9000000000 -v variant=0 -f benches/mhlw_csv.awk points.txt > jigyosho_110.csv
#   first    事業所番号 of the first row (the rest count up from it)
#   variant  changes the telephone number, so a second file updates every office of the first
BEGIN {
  ORS = "\r\n"
  OFS = ","
  printf "\357\273\277"
  print "都道府県コード又は市町村コード", "No", "都道府県名", "市区町村名", "事業所名", "事業所名カナ",
    "サービスの種類", "住所", "方書（ビル名等）", "緯度", "経度", "電話番号", "FAX番号", "法人番号",
    "法人の名称", "事業所番号", "利用可能曜日", "利用可能曜日特記事項", "定員", "URL",
    "高齢者の方と障害者の方が同時一体的に利用できるサービス", "介護保険の通常の指定基準を満たしている",
    "障害福祉の通常の指定基準を満たしている", "備考"
}
{
  code = sprintf("%010.0f", first + NR - 1) # %d is 32-bit in mawk
  phone = sprintf("0%d-%04d-%04d", 3 + variant % 7, NR % 10000, (NR + variant) % 10000)
  print "122203", NR, "千葉県", "流山市", "ベンチ訪問介護" code, "ベンチホウモンカイゴ", "訪問介護",
    "千葉県流山市平和台" (NR % 9 + 1) "-" (NR % 30 + 1), "", sprintf("%.6f", $2), sprintf("%.6f", $1), phone, "",
    "1234567890123", "株式会社ベンチ", code, "\"平日,土曜日\"", "", "0", "", "", "", "", "ベンチマーク用の架空の事業所"
}
