# contention.gp — tasks fighting over shared state (a workload of the kind "contended"): the time
# an update costs against the concurrency (-j) at a fixed number of tasks, one panel per way of
# guarding the state (the `sync` column), one line per model, whiskers from the fastest to the
# slowest run. Every panel has the same y axis, so the strategies compare across panels.
# usage: gnuplot -c plots/contention.gp CONTENDED.csv OUT.png [MACHINE-SUBTITLE] [WORKLOAD]
#        (CONTENDED.csv: written by `concbench report` beside summary.csv)
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

rows_if = 'strcol("workload") eq workload && strcol("part") eq "concurrency" && column("ns_per_increment") > 0'
stats data using (@rows_if ? column("tasks") : 0) nooutput
if (STATS_max <= 0) {
    print sprintf("contention.gp: no 'concurrency' rows with ns_per_increment for workload '%s' in %s", workload, data)
    exit status 1
}
n_fixed = STATS_max
ns_of(c) = column(c) * 1e9 / column("updates")
stats data using (@rows_if ? ns_of("max_s") : 0) nooutput
y_max = STATS_max
stats data using (@rows_if ? ns_of("min_s") : 1e30) nooutput
y_min = STATS_min
stats data using (@rows_if ? column("concurrency") : 0) nooutput
j_max = STATS_max

# The strategies, in the order the rows first name them.
syncs = ""
nsync = 0
s_add(s) = (strstrt(" " . syncs . " ", " " . s . " ") > 0 ? 0 : (syncs = syncs . (nsync > 0 ? " " : "") . s, nsync = nsync + 1, 1))
stats data using (@rows_if ? s_add(strcol("sync")) : 0) nooutput

scan_file = data
scan_if = rows_if
eval scan_models
split_cols = '(column("concurrency")):(ns_of("median_s")):(ns_of("min_s")):(ns_of("max_s"))'

chart_title = sprintf("%s: time an update costs against concurrency, %d tasks, for each synchronisation", workload, n_fixed)
eval heading
set label 6 "Batch wall time / updates made (median of the good runs; whiskers: fastest to slowest run). Same y axis in every panel; log scales." \
    at screen 0.5, screen 0.02 center noenhanced font ",10" tc rgb "#404040"
ncols = nsync > 3 ? 3 : nsync
nrows = int((nsync + ncols - 1) / ncols)
set logscale x 2
set logscale y 10
set xrange [0.7:j_max * 1.4]
set yrange [y_min / 2:y_max * 2]
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) font ",9"
set ytics ("0.1 ns" 0.1, "0.2 ns" 0.2, "0.5 ns" 0.5, "1 ns" 1, "2 ns" 2, "5 ns" 5, "10 ns" 10, "20 ns" 20, "50 ns" 50, "100 ns" 100, "200 ns" 200, "500 ns" 500, "1 µs" 1000, "2 µs" 2000, "5 µs" 5000, "10 µs" 10000, "100 µs" 1e5) font ",9"
set grid xtics ytics lc rgb "#e4e4e4"
set key top left samplen 2 font ",9" noenhanced

do for [k = 1:2] {
    eval set_term(k)
    set multiplot layout nrows, ncols margins 0.07, 0.98, 0.12, 0.84 spacing 0.05, 0.11
    do for [p = 1:nsync] {
        this_sync = word(syncs, p)
        split_if = rows_if . ' && strcol("sync") eq this_sync'
        eval split_rows
        set title sprintf("--sync %s", this_sync) noenhanced font ",12"
        set xlabel (p > nsync - ncols ? "concurrency j (log scale)" : "") font ",10"
        set ylabel ((p - 1) % ncols == 0 ? "time an update" : "") font ",10"
        if (p == 1) { set key } else { unset key }
        if (have eq "") {
            plot NaN notitle
        } else {
            plot for [s in have] block(s + 0) using 1:2 smooth unique with lines lt (s + 0) title M_name[s + 0], \
                 for [s in have] block(s + 0) using 1:2:3:4 with yerrorbars lt (s + 0) lw 1 pt 7 ps 0.8 notitle
        }
    }
    unset multiplot
}
set output
