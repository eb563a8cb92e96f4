# scaling.gp — wall time against the number of tasks for one workload (the "tasks" rows of
# summary.csv), log-log, one line per model (and params), each line's ideal (ideal_s) dashed.
# usage: gnuplot -c plots/scaling.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD]
#        (WORKLOAD defaults to the end of OUT's name: scaling-W.png -> W)
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

rows_if = 'strcol("workload") eq workload && strcol("part") eq "tasks"'
stats data using (@rows_if ? column("tasks") : 0):(@rows_if ? column("median_s") : 0) nooutput
if (STATS_max_x <= 0) {
    print sprintf("scaling.gp: no 'tasks' rows for workload '%s' in %s", workload, data)
    exit status 1
}
n_max = STATS_max_x; t_max = STATS_max_y
stats data using (@rows_if && column("median_s") > 0 ? column("median_s") : 1e9):(@rows_if && column("min_s") > 0 ? column("min_s") : 1e9) nooutput
t_min = STATS_min_y
kind_label = ""
stats data using (@rows_if ? (kind_label = strcol("kind_label"), 1) : 0) nooutput

# One line per model, and per params when the cells differ by an option.
scan_file = data
scan_if = rows_if
scan_key = 'strcol("model") . (strlen(strcol("params")) > 0 ? " " . strcol("params") : "")'
eval scan_models
split_if = rows_if
# Noisy cells (CV above 10 %, or the noise diagnosis of newer sweeps) get a hollow ring.
has_noise = strstrt(hdr_, ",noise,") > 0
noisy(x) = column("cv") > 0.10 ? 1 : has_noise ? strlen(strcol("noise")) > 0 : 0
stats data using (@rows_if ? noisy(0) : 0) nooutput
n_noisy = STATS_sum
split_cols = '(column("tasks")):(column("median_s")):(column("min_s")):(column("max_s")):(or_nan(column("ideal_s"))):(column("concurrency")):(noisy(0))'
eval split_rows
# The legend says each line's concurrency: one at a time, one fixed j, or every task at once.
array mtitle[nmodels]
do for [s in have] {
    stats block(s + 0) using 6 nooutput
    j_all = STATS_max
    stats block(s + 0) using ($6 == $1 ? 0 : $6) nooutput
    mtitle[s + 0] = M_name[s + 0] . (j_all == 1 ? " (one at a time)" : \
        STATS_max > 0 ? sprintf(" (j = %d)", STATS_max) : " (j = N: all at once)")
}

chart_title = sprintf("%s: wall time against the number of tasks (%s)", workload, kind_label)
eval heading
set xlabel "number of tasks N (log scale)"
set ylabel "wall time for the whole batch (log scale; lower is faster)"
set logscale xy 10
eval log_time_tics
if (n_max > 128) { eval log_count_tics } else { set xtics (1, 2, 4, 8, 16, 32, 64, 128) }
set mxtics default
set xrange [0.7:n_max * 1.6]
set yrange [t_min / 2:t_max * 3]
set grid xtics ytics lc rgb "#e4e4e4"
set key top left Left reverse samplen 3 box lc rgb "#cccccc" noenhanced
set label 6 sprintf("Dashed: each line's ideal (ideal_s, by the workload's own rule; t1 = %s's time per task). Whiskers: fastest to slowest run.", ref_name) \
    at screen 0.5, screen 0.02 center noenhanced font ",10" tc rgb "#404040"
set bmargin 5
# Work that computes on a busy machine (the report passes busy_share for those charts only).
if (busy_share < 0.8) {
    set label 7 sprintf("The machine was busy: %s got %.0f %% of a core here; times are inflated and noisy.", ref_name, busy_share * 100) \
        at graph 0.5, graph 0.04 center noenhanced font ",10" tc rgb "#c00000"
}

do for [k = 1:2] {
    eval set_term(k)
    plot for [s in have] block(s + 0) using 1:2 smooth unique with lines lt (s + 0) title mtitle[s + 0], \
         for [s in have] block(s + 0) using 1:2:3:4 with yerrorbars lt (s + 0) lw 1 pt 7 notitle, \
         for [s in have] block(s + 0) using 1:5 smooth unique with lines lt (s + 0) lw 1 dt 2 notitle, \
         for [s in have] block(s + 0) using 1:($7 > 0 ? $2 : NaN) with points lt (s + 0) pt 6 ps 2.6 lw 1.5 notitle, \
         NaN with lines lt 99 title "ideal (dashed)", \
         (n_noisy > 0 ? NaN : 1/0) with points lc rgb "#404040" pt 6 ps 2 lw 1.5 title (n_noisy > 0 ? "ring: noisy runs (report.md says why)" : "")
}
set output
