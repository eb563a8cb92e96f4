# resources.gp — what each model cost in CPU time and peak memory, per workload (the "headline"
# rows of summary.csv), two panels side by side; workloads grouped by kind as in the headline.
# usage: gnuplot -c plots/resources.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

head = 'strcol("part") eq "headline"'
scan_file = data
scan_if = head
eval scan_models
eval scan_groups
if (nmodels == 0) {
    print sprintf("resources.gp: no 'headline' rows in %s", data)
    exit status 1
}
# Memory as the chart counts it: for a model whose tasks ran in child processes (the children's
# summed peaks are recorded, > 0) that sum, else the process's own peak; in MB.
kids(x) = (v_ = column("children_sum_rss_kb"), v_ == v_ && v_ > 0)
mem_mb(x) = (kids(0) ? column("children_sum_rss_kb") : column("max_rss_kb")) / 1024.0
stats data using (@head ? column("tasks") : 0) nooutput
n_head = int(STATS_max)
stats data using (@head && column("cpu_s") > 0 ? column("cpu_s") : 1e9) nooutput
cpu_lo = STATS_min
stats data using (@head && column("max_rss_kb") > 0 ? mem_mb(0) : 1e9) nooutput
mem_lo = STATS_min
stats data using (@head ? column("cpu_s") : 0) nooutput
cpu_hi = STATS_max
stats data using (@head ? mem_mb(0) : 0) nooutput
mem_hi = STATS_max
# Memory per task in flight (a column of newer sweeps: the third panel only when it is there).
has_rss = strstrt(hdr_, ",rss_per_task_kb,") > 0
rss_kb(x) = has_rss ? (v_ = column("rss_per_task_kb"), v_ == v_ && v_ > 0 ? v_ : NaN) : NaN
rss_lo = 1; rss_hi = 1
if (has_rss) {
    stats data using (@head && rss_kb(0) > 0 ? rss_kb(0) : 1e12) nooutput
    rss_lo = STATS_min
    stats data using (@head && rss_kb(0) > 0 ? rss_kb(0) : 0) nooutput
    rss_hi = STATS_max
    has_rss = rss_hi > 0 && rss_lo < 1e12
}
# The models that fork, for the note.
forkers = ""
add_forker(m) = strstrt(forkers, " " . m . ",") > 0 ? 0 : (forkers = forkers . " " . m . ",", 1)
stats data using (@head && kids(0) ? add_forker(strcol("model")) : 0) nooutput
forkers = strlen(forkers) > 0 ? forkers[2:strlen(forkers) - 1] : ""
# Per group: the most tasks in flight, for the tic.
array G_j[NMAX]
do for [g = 1:ngroups] { G_j[g] = 0 }
gi(x) = g_find(strcol("workload"), strcol("params"), 1)
j_row(g) = (G_j[g] = column("concurrency") > G_j[g] ? column("concurrency") : G_j[g], 1)
stats data using (@head && gi(0) > 0 ? j_row(gi(0)) : 0) nooutput

bw = nmodels > 6 ? 0.8 / nmodels : 0.13
# One slot a group, side by side (no gap between kinds: two panels share the width).
xpos(i) = gi(0) + (i - (nmodels + 1) / 2.0) * bw
mine(i) = @head && m_find(strcol("model"), 1) == i

chart_title = sprintf("What each model costs: CPU time%s peak memory%s, %d tasks per workload", has_rss ? "," : " and", has_rss ? " and memory per task in flight" : "", n_head)
note = "Medians of the runs (log scales); j: the most tasks in flight (pool size for the pools).\nCPU time: user + system of the benchmark process and its children; a server a workload embeds is not included.\nMemory: " . \
    (strlen(forkers) > 0 ? "for " . forkers . " (tasks in child processes), the SUM of every child's peak RSS (children_sum_rss_kb); for the others, " : "") . \
    "the process's peak RSS (max_rss_kb)." . \
    (has_rss ? "\nMemory per task in flight: the peak RSS's growth during the batch over the RSS before it, per task in flight (j); for the models with child processes, each child's peak RSS." : "")
eval heading
note_y = has_rss ? 0.07 : 0.055
set label 6 note at screen 0.5, screen note_y center noenhanced font ",10" tc rgb "#404040"
kshort(s) = strstrt(s, "-") > 1 ? s[1:strstrt(s, "-") - 1] : s
# The groups' tics: in full under the widest panel; the two narrow panels above it (when there
# are three) name the workload only.
full_tics = 'set xtics () scale 0 noenhanced; do for [g = 1:ngroups] { set xtics add (sprintf("%s\n(%s, j = %d)", group_name(g), kshort(G_kl[g]), G_j[g]) g) }'
short_tics = 'set xtics () scale 0 noenhanced; do for [g = 1:ngroups] { set xtics add (G_w[g] g) }'
if (has_rss) { eval short_tics } else { eval full_tics }
set xrange [0.45:ngroups + 0.55]
set grid noxtics ytics
set logscale y 10
set style fill solid 0.9 border lc rgb "#303030"
set key top left vertical maxrows 3 samplen 1.5 width 1 noenhanced

# Panels: CPU time and peak memory side by side; with memory per task in flight, a row of
# their own above it, the third panel the whole width below.
top_b = has_rss ? 0.57 : 0.2
kib_tics = 'set ytics ("0.1 KiB" 0.1, "0.2" 0.2, "0.5" 0.5, "1 KiB" 1, "2" 2, "5" 5, "10 KiB" 10, "20" 20, "50" 50, "100 KiB" 100, "200" 200, "500" 500, "1 MiB" 1024, "2" 2048, "5" 5120, "10 MiB" 10240, "20" 20480, "50" 51200, "100 MiB" 102400)'
do for [k = 1:2] {
    eval set_term(k)
    set multiplot
    set lmargin at screen 0.08
    set rmargin at screen 0.49
    set tmargin at screen 0.85
    set bmargin at screen top_b
    set ylabel "CPU time, user + system (s, log scale)"
    if (has_rss) { unset xlabel } else { set xlabel "workload" offset 0, -0.6 }
    set yrange [cpu_lo / 3:cpu_hi * 30]
    set ytics auto
    set format y "%g"
    set title "CPU time" font ",13"
    plot for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? column("cpu_s") : NaN):(xpos(i) - bw / 2):(xpos(i) + bw / 2):(cpu_lo / 10):(column("cpu_s")) \
             with boxxyerror lt i title M_name[i]
    unset label 100
    unset label 101
    unset label 6
    set lmargin at screen 0.58
    set rmargin at screen 0.98
    set ylabel "peak memory (MB, log scale)"
    set yrange [mem_lo / 3:mem_hi * 3]
    set title "Peak memory (RSS)" font ",13"
    set ytics ("0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
    plot for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? mem_mb(0) : NaN):(xpos(i) - bw / 2):(xpos(i) + bw / 2):(mem_lo / 10):(mem_mb(0)) \
             with boxxyerror lt i notitle
    if (has_rss) {
        set lmargin at screen 0.08
        set rmargin at screen 0.98
        set tmargin at screen 0.46
        set bmargin at screen 0.24
        eval full_tics
        set xlabel "workload" offset 0, -0.6
        set ylabel "KiB per task in flight (log scale)"
        set yrange [rss_lo / 3:rss_hi * 3]
        eval kib_tics
        set title "Memory per task in flight" font ",13"
        plot for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? rss_kb(0) : NaN):(xpos(i) - bw / 2):(xpos(i) + bw / 2):(rss_lo / 10):(rss_kb(0)) \
                 with boxxyerror lt i notitle, \
             for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? rss_kb(0) * 1.25 : NaN):(rss_kb(0) >= 1024 ? sprintf("%.1fM", rss_kb(0) / 1024) : rss_kb(0) >= 10 ? sprintf("%.0f", rss_kb(0)) : sprintf("%.2g", rss_kb(0))) \
                 with labels font ",7" tc rgb "#202020" notitle
    }
    unset multiplot
    set label 100 machine at screen 0.5, screen 0.925 center noenhanced font ",11" tc rgb "#404040"
    eval heading
    set label 6 note at screen 0.5, screen note_y center noenhanced font ",10" tc rgb "#404040"
    if (has_rss) { eval short_tics }
}
set output
