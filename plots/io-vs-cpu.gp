# io-vs-cpu.gp — the headline chart: speed-up over single for each model, I/O-bound workloads
# beside CPU-bound ones, from the "headline" rows of summary.csv.
# usage: gnuplot -c plots/io-vs-cpu.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4
load script_dir . "/models.gp"

# Columns: 1 workload, 2 kind, 3 model, 4 part, 5 tasks, 6 concurrency, 9 min_s, 10 median_s,
# 11 max_s, 13 speedup.
is_head(k) = strcol(4) eq "headline" && strcol(2) eq k
stats data using (is_head("io") ? $6 : 0):(is_head("io") ? $5 : 0) nooutput
io_j = int(STATS_max_x); io_n = int(STATS_max_y)
stats data using (is_head("cpu") ? $6 : 0):(is_head("cpu") ? $5 : 0) nooutput
cpu_j = int(STATS_max_x); cpu_n = int(STATS_max_y)
stats data using (strcol(4) eq "headline" ? (valid(13) ? $13 : 0) : 0) nooutput
top = STATS_max > io_n ? STATS_max : io_n
# The slowest run's speed-up sets the floor; the model names sit in a band under it.
stats data using (strcol(4) eq "headline" && valid(13) ? $13 * $10 / $11 : 1) nooutput
lowest = STATS_min < 1 ? STATS_min : 1
floor_ = (lowest / 1.25 < 0.5 ? lowest / 1.25 : 0.5) / 2.4
# Workloads without headline rows get a "not measured" note in their slot.
stats data using (strcol(4) eq "headline" ? (strcol(1) eq "sleep" ? 1 : strcol(1) eq "http" ? 10 : strcol(1) eq "count" ? 100 : strcol(1) eq "thumbnail" ? 1000 : 0) : 0) nooutput
seen = int(STATS_sum)
# Was the machine busy? A CPU-bound single thread alone keeps one core busy (CPU time / wall
# time close to 1); the chart says so in red when single got less than 80 % of a core.
stats data using (strcol(4) eq "headline" && strcol(2) eq "cpu" && strcol(3) eq "single" && valid(16) && $10 > 0 ? $16 / $10 : 1) nooutput
busy_share = STATS_min
cores = cpu_j > 0 ? cpu_j : 1
# The sleep length D, from single's ideal (N x D): the xtic says what a sleep task waits.
stats data using (strcol(1) eq "sleep" && strcol(3) eq "single" && strcol(4) eq "headline" && valid(14) ? $14 * 1000 / $5 : 0) nooutput
sleep_label = STATS_max > 0 ? sprintf("sleep\n(wait %g ms)", STATS_max) : "sleep\n(wait)"

# Where a bar goes: the workload's group (I/O on the left, CPU on the right, a gap between),
# then the model's place in the group.
group(w) = w eq "sleep" ? 1 : w eq "http" ? 2 : w eq "count" ? 4 : w eq "thumbnail" ? 5 : NaN
bw = 0.13
xpos(i) = group(strcol(1)) + (i - 3.5) * bw
mine(i) = strcol(4) eq "headline" && model_index(strcol(3)) == i
sp = 0
spd(i) = mine(i) && valid(13) ? (sp = $13, sp) : NaN
# Spread: the speed-up of the slowest and of the fastest run (single's median over that run's time).
sp_lo(i) = mine(i) && valid(13) ? $13 * $10 / $11 : NaN
sp_hi(i) = mine(i) && valid(13) ? $13 * $10 / $9 : NaN

chart_title = sprintf("Speed-up over one thread (single), %d tasks per model: I/O-bound vs CPU-bound work", io_n)
eval heading
set ylabel "speed-up over single (×, log scale; higher is faster)"
set xlabel "workload"
set logscale y 2
set yrange [floor_:top * 2.2]
set xrange [0.4:5.6]
set ytics ("0.125×" 0.125, "0.25×" 0.25, "0.5×" 0.5, "1×" 1, "2×" 2, "4×" 4, "8×" 8, "16×" 16, "32×" 32, "64×" 64)
set xtics (sleep_label 1, "http\n(GET, server waits)" 2, "count\n(add in a loop)" 4, \
           "thumbnail\n(decode, blur, encode)" 5) scale 0
set grid noxtics

# The two halves and their reference lines.
set arrow 1 from 3, graph 0 to 3, graph 1 nohead lc rgb "#999999" dt 1 lw 1
set label 1 sprintf("I/O-bound: %d tasks, up to %d at once", io_n, io_j) at 1.5, top * 1.75 center font ",13"
set label 2 sprintf("CPU-bound: %d tasks, up to %d at once (%d cores)", cpu_n, cpu_j, cores) at 4.5, top * 1.75 center font ",13"
set arrow 2 from 0.4, 1 to 5.6, 1 nohead lt 9 dt 1 lw 2 back
set label 3 "1× = no gain\nover single" at 2.97, 0.86 right font ",10" tc rgb "#404040"
do for [g in "1 2 4 5"] {
    digit = g eq "1" ? 1 : g eq "2" ? 10 : g eq "4" ? 100 : 1000
    if (int(seen / digit) % 10 == 0) {
        eval sprintf('set label %d "not measured\nin this run" at %s, 1.5 center font ",11" tc rgb "#808080"', 10 + g, g)
    }
}
set arrow 3 from 3, cores to 5.6, cores nohead lt 9 dt 2 back
set label 4 sprintf("%d× = %d cores:\nthe CPU limit", cores, cores) at 3.03, cores * 1.3 left font ",10" tc rgb "#404040"
set arrow 5 from 0.4, io_n to 3, io_n nohead lt 9 dt 2 back
set label 5 sprintf("%d× = all %d\ntasks at once", io_n, io_n) at 2.97, io_n * 1.25 right font ",10" tc rgb "#404040"

set label 6 "Bars start at 1×: up means faster than single, down means slower. Whiskers: slowest to fastest run; the number is the median." \
    at screen 0.5, screen 0.02 center font ",10" tc rgb "#404040"
if (busy_share < 0.8) {
    set label 7 sprintf("The machine was busy: single got %.0f %% of a core on CPU-bound work,\nso these CPU-bound speed-ups understate what the models can do.", busy_share * 100) \
        at 4.4, top * 1.05 center font ",10" tc rgb "#c00000"
}
set key at screen 0.5, screen 0.075 center horizontal samplen 1.5 width 1 height 0.5 maxrows 1
set bmargin 9
set style fill solid 0.9 border lc rgb "#303030"

do for [k = 1:2] {
    eval set_term(k)
    plot for [i = 1:nmodels] data using (xpos(i)):(spd(i)):(xpos(i) - bw / 2):(xpos(i) + bw / 2):(sp < 1 ? sp : 1):(sp < 1 ? 1 : sp) \
             with boxxyerror lt i title model_name(i), \
         for [i = 1:nmodels] data using (xpos(i)):(spd(i)):(sp_lo(i)):(sp_hi(i)) \
             with yerrorbars lc rgb "#202020" lw 1.2 dt solid pt 0 notitle, \
         for [i = 1:nmodels] data using (xpos(i)):(spd(i), sp >= 1 ? (sp_hi(i) > sp ? sp_hi(i) : sp) * 1.12 : (sp_lo(i) < sp ? sp_lo(i) : sp) / 1.12):(spd(i) == spd(i) ? sprintf("%.1f", sp) : "") \
             with labels font ",8" tc rgb "#202020" notitle, \
         for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? floor_ * 1.06 : NaN):(model_name(i)) \
             with labels rotate by 90 left font ",8" tc rgb "#202020" notitle
}
set output
