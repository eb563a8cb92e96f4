# models.gp — shared by every chart: the command-line arguments, the CSV settings, the two output
# terminals, and the models, workload groups and kinds read from the data's own columns
# (model_order, model_rgb, serial, kind_order, kind_label, workload_order, workload_label,
# params). No model or workload is named here or in any chart: a new one appears with its colour
# and in its place because the sweep wrote its row. Columns are found by header name only.
#
# Arguments: DATA OUT.png [MACHINE] [WORKLOAD] [CONFIG] [REF]
#   WORKLOAD  per-workload charts (default: the end of OUT's name, scaling-W.png -> W)
#   CONFIG    a phrase for the timeline's title ("16 tasks, -j 4")
#   REF       the serial reference's name (default: the model of a row with serial = 1)
# `concbench report` may set numbers first (gnuplot -e): cores, busy_share.
#
# After loading: data, out, svgout, machine, workload, config, ref_name, set_term(k) (k = 1:
# pngcairo 1200x800 to out; k = 2: svg to svgout), and the scanners below. A chart sets
#   scan_file = data (or summary.csv beside a timeline), scan_if = 'a condition on a row'
# and then `eval scan_models` and/or `eval scan_groups`, which fill
#   nmodels, M_name[i], M_rgb[i], m_find(name, 1) -> i (0: none)   models by model_order; linetype i
#                                                                  is model i's colour
#   ngroups, G_w[g], G_p[g], G_lab[g], G_x[g], g_find(w, p, 1)     (workload, params) groups by
#                                                                  kind_order, workload_order;
#                                                                  G_x: x position, a gap
#                                                                  between kinds
#   nkinds, K_lab[k], K_from[k], K_to[k] (x span), K_first[k]      the kinds, by kind_order
# Linetype 99: reference lines and ideals (dark grey).

# The first line of every file is its header: columns are found by name (column("median_s"),
# strcol("model")), and the header is never read as a row. Datablocks made by split_rows get a
# header line too. Text fields must not hold commas: gnuplot splits quoted fields as well.
set datafile separator comma
set datafile columnheaders
set encoding utf8

# `load` hides ARGn: each chart copies them first (args = ARGC, arg1 = ARG1 ... arg6 = ARG6).
if (args < 2) {
    print "usage: gnuplot -c SCRIPT.gp DATA.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD] [CONFIG] [REF]"
    exit status 2
}
data = arg1
out = arg2
machine = (args >= 3 && strlen(arg3) > 0) ? arg3 : "machine not given (pass it as the third argument)"
arg_workload = args >= 4 ? arg4 : ""
config = args >= 5 ? arg5 : ""
arg_ref = args >= 6 ? arg6 : ""
png_suffix = strlen(out) > 4 ? out[strlen(out) - 3:] : ""
svgout = png_suffix eq ".png" ? out[1:strlen(out) - 4] . ".svg" : out . ".svg"
if (!exists("cores")) { cores = 0 }
if (!exists("busy_share")) { busy_share = 1 }

# The workload of a per-workload chart: the fourth argument, else the part of the output file name
# after the first '-' (scaling-W.png -> W).
strip_png(s) = (strlen(s) > 4 && s[strlen(s) - 3:] eq ".png") ? s[1:strlen(s) - 4] : s
base_name(s) = strstrt(s, "/") > 0 ? base_name(s[strstrt(s, "/") + 1:]) : s
after_dash(s) = strstrt(s, "-") > 0 ? s[strstrt(s, "-") + 1:] : s
workload = strlen(arg_workload) > 0 ? arg_workload : strip_png(after_dash(base_name(out)))
# The folder of a path ("" for a bare name), for summary.csv beside timeline.csv.
dir_of(s) = strstrt(s, "/") > 0 ? s[1:strstrt(s, "/")] . dir_of(s[strstrt(s, "/") + 1:]) : ""

# The data must have the registry columns; a folder from before them is upgraded by the report.
hdr_cols(k) = k > hdr_n ? "," : "," . strcol(k) . hdr_cols(k + 1)
need_columns = 'set datafile nocolumnheaders; stats scan_file every ::0::0 using (1) nooutput; hdr_n = STATS_columns; stats scan_file every ::0::0 using (hdr_ = hdr_cols(1), 1) nooutput; do for [c_ in "model model_order model_rgb serial params workload kind_order kind_label workload_order workload_label"] { if (strstrt(hdr_, "," . c_ . ",") == 0) { print sprintf("%s: no ''%s'' column: a results folder from before the registry columns (concbench report DIR upgrades it)", scan_file, c_); exit status 1 } }; set datafile columnheaders'

# Models, by model_order (ties: first seen). The key (scan_key, default the model) may add the
# params, so cells that differ only in an option are separate lines.
NMAX = 64
array M_name[NMAX]
array M_ord[NMAX]
array M_rgb[NMAX]
array M_model[NMAX]
nmodels = 0
scan_key = 'strcol("model")'
m_find(s, i) = i > nmodels ? 0 : M_name[i] eq s ? i : m_find(s, i + 1)
m_add(s, m, o, c) = (m_find(s, 1) > 0 || nmodels >= NMAX) ? 0 : \
    (nmodels = nmodels + 1, M_name[nmodels] = s, M_model[nmodels] = m, M_ord[nmodels] = o, M_rgb[nmodels] = c, 1)
ref_ = ""
ref_seen(s) = (strlen(ref_) == 0 ? ref_ = s : 0, 1)
swap_m(i, j) = (t_ = M_name[i], M_name[i] = M_name[j], M_name[j] = t_, t_ = M_model[i], M_model[i] = M_model[j], M_model[j] = t_, \
    t_ = M_ord[i], M_ord[i] = M_ord[j], M_ord[j] = t_, t_ = M_rgb[i], M_rgb[i] = M_rgb[j], M_rgb[j] = t_, 1)
scan_models = 'eval need_columns; nmodels = 0; stats scan_file using (@scan_if ? m_add(@scan_key, strcol("model"), column("model_order"), int(column("model_rgb"))) : 0) nooutput; do for [i_ = 1:nmodels - 1] { do for [j_ = i_ + 1:nmodels] { if (M_ord[j_] < M_ord[i_]) { dummy_ = swap_m(i_, j_) } } }; do for [i_ = 1:nmodels] { set linetype i_ lc rgb M_rgb[i_] lw 2 pt 7 ps 1.1 dt solid }; stats scan_file using (column("serial") == 1 ? ref_seen(strcol("model")) : 0) nooutput; ref_name = strlen(arg_ref) > 0 ? arg_ref : strlen(ref_) > 0 ? ref_ : "the serial reference"'
model_rgb(i) = M_rgb[i]

# Workload groups (workload, params), by kind_order then workload_order; x positions leave one
# empty slot between kinds.
array G_w[NMAX]
array G_p[NMAX]
array G_lab[NMAX]
array G_ko[NMAX]
array G_wo[NMAX]
array G_kl[NMAX]
array G_x[NMAX]
array K_lab[NMAX]
array K_from[NMAX]
array K_to[NMAX]
array K_first[NMAX]
array K_ord[NMAX]
ngroups = 0
nkinds = 0
g_find(w, p, i) = i > ngroups ? 0 : (G_w[i] eq w && G_p[i] eq p) ? i : g_find(w, p, i + 1)
g_add(w, p, ko, wo, lab, kl) = (g_find(w, p, 1) > 0 || ngroups >= NMAX) ? 0 : \
    (ngroups = ngroups + 1, G_w[ngroups] = w, G_p[ngroups] = p, G_ko[ngroups] = ko, G_wo[ngroups] = wo, G_lab[ngroups] = lab, G_kl[ngroups] = kl, 1)
g_before(i, j) = G_ko[j] < G_ko[i] || (G_ko[j] == G_ko[i] && G_wo[j] < G_wo[i])
swap_g(i, j) = (t_ = G_w[i], G_w[i] = G_w[j], G_w[j] = t_, t_ = G_p[i], G_p[i] = G_p[j], G_p[j] = t_, t_ = G_ko[i], G_ko[i] = G_ko[j], G_ko[j] = t_, \
    t_ = G_wo[i], G_wo[i] = G_wo[j], G_wo[j] = t_, t_ = G_lab[i], G_lab[i] = G_lab[j], G_lab[j] = t_, t_ = G_kl[i], G_kl[i] = G_kl[j], G_kl[j] = t_, 1)
# scan_more_if (default none): rows whose workload has no group yet add one with params "".
scan_more_if = '0'
gw_find(w, i) = i > ngroups ? 0 : G_w[i] eq w ? i : gw_find(w, i + 1)
scan_groups = 'eval need_columns; ngroups = 0; nkinds = 0; stats scan_file using (@scan_if ? g_add(strcol("workload"), strcol("params"), column("kind_order"), column("workload_order"), strcol("workload_label"), strcol("kind_label")) : 0) nooutput; stats scan_file using ((@scan_more_if) && gw_find(strcol("workload"), 1) == 0 ? g_add(strcol("workload"), "", column("kind_order"), column("workload_order"), strcol("workload_label"), strcol("kind_label")) : 0) nooutput; do for [i_ = 1:ngroups - 1] { do for [j_ = i_ + 1:ngroups] { if (g_before(i_, j_)) { dummy_ = swap_g(i_, j_) } } }; eval place_groups'
place_groups = 'x_ = 0; do for [i_ = 1:ngroups] { if (i_ == 1 || G_ko[i_] != G_ko[i_ - 1]) { x_ = x_ + (i_ > 1 ? 2 : 1); nkinds = nkinds + 1; K_lab[nkinds] = G_kl[i_]; K_ord[nkinds] = G_ko[i_]; K_from[nkinds] = x_; K_first[nkinds] = i_ } else { x_ = x_ + 1 }; G_x[i_] = x_; K_to[nkinds] = x_ }'
# The x position of a row's group (NaN when it has none), and a group's name for a tic.
row_x(x) = (g_ = g_find(strcol("workload"), strcol("params"), 1), g_ > 0 ? G_x[g_] : NaN)
group_name(g) = G_w[g] . (strlen(G_p[g]) > 0 ? " " . G_p[g] : "")

# The kind (1..nkinds) of a kind_order value, 0 when none.
k_find(o, i) = i > nkinds ? 0 : K_ord[i] == o ? i : k_find(o, i + 1)
# An empty field reads as NaN: keep it NaN (a datablock row is kept, its point left out).
or_nan(v) = v == v ? v : NaN
is_num(v) = v == v
# A duration for people: "1.6 s", "83 ms", "0.71 µs".
fmt_time(s) = s >= 1 ? sprintf("%.3g s", s) : s >= 1e-3 ? sprintf("%.3g ms", s * 1e3) : sprintf("%.3g µs", s * 1e6)

# split_rows: for each model i, datablock $m<i> gets the columns split_cols (a using spec) of the
# rows of data where split_if (an expression) holds, sorted as in the file, after a header line; `have` lists the
# indices of the models with rows ("2 3 5"), so a chart plots only what exists, without warnings.
# Use: split_if = '...'; split_cols = '...'; eval split_rows (after eval scan_models)
split_rows = 'have = ""; do for [i = 1:nmodels] { eval sprintf("set print $m%d", i); print "block"; unset print; eval sprintf("set table $m%d append separator comma", i); plot data using @split_cols with table if (@split_if && m_find(@scan_key, 1) == i); unset table; eval sprintf("rows = |$m%d|", i); if (rows > 1) { have = have . sprintf(" %d", i) } }'
block(i) = sprintf("$m%d", i)

# The paths stay variables inside the command: spliced into its text, a folder name holding a
# quote or a backquote would be run as gnuplot (and, through backquotes, shell) commands.
# Charts with many groups grow wider (chart_w may be set before set_term is used).
chart_w = 1200
set_term(k) = k == 1 ? \
    sprintf('set terminal pngcairo size %d,800 enhanced font "DejaVu Sans,12"; set output out', chart_w) : \
    sprintf('set terminal svg size %d,800 enhanced font "DejaVu Sans,12" background rgb "white"; set output svgout', chart_w)

# Linetype 99: reference lines and ideals (dark grey).
set linetype 99 lc rgb "#404040" lw 1.5 dt 2

# The title (each chart sets chart_title, then eval heading) and the machine line under it
# (noenhanced: CPU names may hold characters like '_' or '@').
heading = 'set label 101 chart_title at screen 0.5, screen 0.965 center noenhanced font ",16"'
set label 100 machine at screen 0.5, screen 0.925 center noenhanced font ",11" tc rgb "#404040"
set tmargin 6
set grid ytics lc rgb "#dddddd" lw 1 dt solid
# Tics for log axes in 1-2-5 steps; times labelled in human units.
log_time_tics = 'set ytics ("1 µs" 1e-6, "2 µs" 2e-6, "5 µs" 5e-6, "10 µs" 1e-5, "20 µs" 2e-5, "50 µs" 5e-5, "100 µs" 1e-4, "200 µs" 2e-4, "500 µs" 5e-4, "1 ms" 1e-3, "2 ms" 2e-3, "5 ms" 5e-3, "10 ms" 0.01, "20 ms" 0.02, "50 ms" 0.05, "100 ms" 0.1, "200 ms" 0.2, "500 ms" 0.5, "1 s" 1, "2 s" 2, "5 s" 5, "10 s" 10, "20 s" 20, "50 s" 50, "100 s" 100, "200 s" 200, "500 s" 500, "1000 s" 1000)'
log_count_tics = 'set xtics (1, 2, 5, 10, 20, 50, 100, 200, 500, "1k" 1000, "2k" 2000, "5k" 5000, "10k" 10000, "20k" 20000, "50k" 50000, "100k" 100000)'
set border 3
set pointintervalbox 0.001      # no white gap around the point of an error bar
set tics nomirror
