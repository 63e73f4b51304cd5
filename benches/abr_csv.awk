# Writes invented アドレス・ベース・レジストリ files in the published layouts (the columns of
# tests/support/fixtures/address.rs; UTF-8, CRLF, a header line) for timing address imports:
# CITIES cities × 50 町字 × 5 丁目 (町字マスター and its position extension), each 丁目 with 20 街区
# × 10 住居 (住居表示-住居マスター position extension): 2 000 000 住居 for CITIES=40.
# The rows are synthetic, not published data; positions are on a grid around Chiba.
#   awk -v cities=40 -v out=DIR -f benches/abr_csv.awk
#   → DIR/mt_town_bench.csv, DIR/mt_town_pos_bench.csv, DIR/mt_rsdtdsp_rsdt_pos_bench.csv
BEGIN {
  ORS = "\r\n"
  OFS = ","
  if (cities == "") cities = 40
  town = out "/mt_town_bench.csv"
  town_pos = out "/mt_town_pos_bench.csv"
  rsdt_pos = out "/mt_rsdtdsp_rsdt_pos_bench.csv"
  print "lg_code", "machiaza_id", "machiaza_type", "pref", "pref_kana", "city", "ward", "oaza_cho",
    "chome", "koaza", "rsdt_addr_flg", "efct_date" > town
  print "lg_code", "machiaza_id", "rep_lat", "rep_lon", "rep_srid", "rep_scale" > town_pos
  print "lg_code", "machiaza_id", "blk_id", "rsdt_id", "rsdt2_id", "rsdt_addr_flg", "rsdt_addr_mtd_code",
    "rep_lon", "rep_lat", "rep_srid", "rep_scale", "rep_src_code", "rsdt_addr_code_rdbl",
    "rsdt_addr_data_mnt_date", "basic_rsdt_div" > rsdt_pos
  split("一 二 三 四 五", kanji, " ")
  for (c = 0; c < cities; c++) {
    lg = sprintf("12%03d%d", 201 + c, (c * 7) % 10)
    city = "ベンチ" (c + 1) "市"
    for (t = 1; t <= 50; t++) {
      for (ch = 1; ch <= 5; ch++) {
        id = sprintf("%04d%03d", t, ch)
        lon0 = 139.70 + c * 0.025 + ch * 0.004
        lat0 = 35.20 + t * 0.012
        print lg, id, "2", "千葉県", "チバケン", city, "", "町" t, kanji[ch] "丁目", "", "1", "2020-04-01" > town
        print lg, id, sprintf("%.6f", lat0), sprintf("%.6f", lon0), "6668", "2500" > town_pos
        for (b = 1; b <= 20; b++) {
          for (r = 1; r <= 10; r++) {
            lon = lon0 + b * 0.00015 + r * 0.00001
            lat = lat0 + b * 0.0001 + r * 0.00001
            print lg, id, sprintf("%03d", b), sprintf("%03d", r), "", "1", "1", sprintf("%.6f", lon),
              sprintf("%.6f", lat), "6668", "500", "1", "", "2020-04-01", "1" > rsdt_pos
          }
        }
      }
    }
  }
}
