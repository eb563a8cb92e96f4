# resources.gp — what each model cost in CPU time and peak memory, per workload (the "headline"
# rows of summary.csv: 16 tasks each), two panels side by side.
# usage: gnuplot -c plots/resources.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4
load script_dir . "/models.gp"

# Columns: 1 workload, 3 model, 4 part, 5 tasks, 16 cpu_s, 17 max_rss_kb, 18 children_sum_rss_kb.
head = 'strcol(4) eq "headline"'
is_proc(m) = m eq "processes" || m eq "process-pool"
# Memory as the chart counts it: the sum of the children's peaks for the process models, the
# process's own peak for the others; in MB.
mem_mb(x) = (is_proc(strcol(3)) && valid(18) ? $18 : $17) / 1024.0
stats data using (@head ? $5 : 0) nooutput
n_head = int(STATS_max)
stats data using (@head && $16 > 0 ? $16 : 1e9):(@head && $17 > 0 ? mem_mb(0) : 1e9) nooutput
cpu_lo = STATS_min_x; mem_lo = STATS_min_y
stats data using (@head ? $16 : 0):(@head ? mem_mb(0) : 0) nooutput
cpu_hi = STATS_max_x; mem_hi = STATS_max_y

group(w) = w eq "sleep" ? 1 : w eq "http" ? 2 : w eq "count" ? 3 : w eq "thumbnail" ? 4 : NaN
bw = 0.13
xpos(i) = group(strcol(1)) + (i - 3.5) * bw
mine(i) = @head && model_index(strcol(3)) == i

chart_title = sprintf("What each model costs: CPU time and peak memory, %d tasks per workload", n_head)
eval heading
set label 6 "Medians of the runs (log scales); j: the most tasks in flight (pool size for the pools).\nCPU time: user + system of the benchmark process and its children; for http the embedded server's CPU is not included.\nMemory: for processes and process-pool, the SUM of every child's peak RSS (children_sum_rss_kb); for the others, the one process's peak RSS (max_rss_kb)." \
    at screen 0.5, screen 0.055 center noenhanced font ",10" tc rgb "#404040"
stats data using (@head && strcol(2) eq "io" ? $6 : 0):(@head && strcol(2) eq "cpu" ? $6 : 0) nooutput
io_j = int(STATS_max_x); cpu_j = int(STATS_max_y)
set xtics (sprintf("sleep\n(I/O, j = %d)", io_j) 1, sprintf("http\n(I/O, j = %d)", io_j) 2, \
           sprintf("count\n(CPU, j = %d)", cpu_j) 3, sprintf("thumbnail\n(CPU, j = %d)", cpu_j) 4) scale 0
set xrange [0.45:4.55]
set grid noxtics ytics
set logscale y 10
set style fill solid 0.9 border lc rgb "#303030"
set key top left vertical maxrows 3 samplen 1.5 width 1

do for [k = 1:2] {
    eval set_term(k)
    set multiplot layout 1, 2 margins 0.08, 0.98, 0.2, 0.85 spacing 0.09, 0
    set ylabel "CPU time, user + system (s, log scale)"
    set xlabel "workload" offset 0, -0.6
    set yrange [cpu_lo / 3:cpu_hi * 30]
    set ytics auto
    set format y "%g"
    set title "CPU time" font ",13"
    plot for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? $16 : NaN):(xpos(i) - bw / 2):(xpos(i) + bw / 2):(cpu_lo / 10):16 \
             with boxxyerror lt i title model_name(i)
    unset label 100
    unset label 101
    unset label 6
    set ylabel "peak memory (MB, log scale)"
    set yrange [mem_lo / 3:mem_hi * 3]
    set title "Peak memory (RSS)" font ",13"
    set ytics ("0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
    plot for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? mem_mb(0) : NaN):(xpos(i) - bw / 2):(xpos(i) + bw / 2):(mem_lo / 10):(mem_mb(0)) \
             with boxxyerror lt i notitle
    unset multiplot
    set label 100 machine at screen 0.5, screen 0.925 center noenhanced font ",11" tc rgb "#404040"
    eval heading
    set label 6 "Medians of the runs (log scales); j: the most tasks in flight (pool size for the pools).\nCPU time: user + system of the benchmark process and its children; for http the embedded server's CPU is not included.\nMemory: for processes and process-pool, the SUM of every child's peak RSS (children_sum_rss_kb); for the others, the one process's peak RSS (max_rss_kb)." \
        at screen 0.5, screen 0.055 center noenhanced font ",10" tc rgb "#404040"
}
set output
