# io-vs-cpu.gp — the headline chart: speed-up over the serial reference for each model, the
# workloads grouped by kind of work (I/O-bound beside CPU-bound, as the data's kind_order and
# workload_order place them), from the "headline" rows of summary.csv.
# usage: gnuplot -c plots/io-vs-cpu.gp SUMMARY.csv OUT.png [MACHINE-SUBTITLE]
script_dir = "."
do for [i = 1:strlen(ARG0)] { if (ARG0[i:i] eq "/") { script_dir = ARG0[1:i - 1] } }
args = ARGC; arg1 = ARG1; arg2 = ARG2; arg3 = ARG3; arg4 = ARG4; arg5 = ARG5; arg6 = ARG6
load script_dir . "/models.gp"

head = 'strcol("part") eq "headline"'
scan_file = data
scan_if = head
scan_more_if = '1'              # a workload without headline rows keeps its slot: "not measured"
eval scan_models
eval scan_groups
if (nmodels == 0 || ngroups == 0) {
    print sprintf("io-vs-cpu.gp: no 'headline' rows in %s", data)
    exit status 1
}
gi(x) = g_find(strcol("workload"), strcol("params"), 1)
ki(x) = k_find(column("kind_order"), 1)

# Per group: headline rows, the serial reference's ideal (its batch with no overlap) and N.
array G_n[NMAX]
array G_sid[NMAX]
array G_tasks[NMAX]
do for [g = 1:ngroups] { G_n[g] = 0; G_sid[g] = NaN; G_tasks[g] = 0 }
count_row(g) = (G_n[g] = G_n[g] + 1, G_tasks[g] = column("tasks") > G_tasks[g] ? column("tasks") : G_tasks[g], \
    column("serial") == 1 ? (G_sid[g] = column("ideal_s"), 1) : 1)
stats data using (@head && gi(0) > 0 ? count_row(gi(0)) : 0) nooutput
# Per kind: N and concurrency of its cells, and the best speed-up the ideal allows: the serial
# reference's ideal over the best ideal_s (the one rule, computed by the sweep).
array K_n[NMAX]
array K_j[NMAX]
array K_lim[NMAX]
do for [k = 1:nkinds] { K_n[k] = 0; K_j[k] = 0; K_lim[k] = 0 }
kind_row(k, g) = (K_n[k] = column("tasks") > K_n[k] ? column("tasks") : K_n[k], \
    K_j[k] = column("concurrency") > K_j[k] ? column("concurrency") : K_j[k], \
    lim_ = G_sid[g] / column("ideal_s"), K_lim[k] = lim_ > K_lim[k] ? lim_ : K_lim[k], 1)
stats data using (@head && gi(0) > 0 && ki(0) > 0 ? kind_row(ki(0), gi(0)) : 0) nooutput

stats data using (@head ? column("speedup") : 0) nooutput
top = STATS_max
do for [k = 1:nkinds] { top = K_lim[k] > top ? K_lim[k] : top }
# The slowest run's speed-up sets the floor; the model names sit in a band under it.
stats data using (@head && column("speedup") > 0 ? column("speedup") * column("median_s") / column("max_s") : 1) nooutput
lowest = STATS_min < 1 ? STATS_min : 1
floor_ = (lowest / 1.25 < 0.5 ? lowest / 1.25 : 0.5) / 2.4

# Where a bar goes: its group's x (kinds apart), then the model's place in the group.
bw = nmodels > 6 ? 0.8 / nmodels : 0.13
xpos(i) = row_x(0) + (i - (nmodels + 1) / 2.0) * bw
mine(i) = @head && m_find(strcol("model"), 1) == i
sp = 0
spd(i) = mine(i) && column("speedup") > 0 ? (sp = column("speedup"), sp) : NaN
# Spread: the speed-up of the slowest and of the fastest run (the reference's median over that run's time).
sp_lo(i) = mine(i) && column("speedup") > 0 ? column("speedup") * column("median_s") / column("max_s") : NaN
sp_hi(i) = mine(i) && column("speedup") > 0 ? column("speedup") * column("median_s") / column("min_s") : NaN

# Noisy cells (CV above 10 %, or the sweep's noise diagnosis: outliers, bimodal, a low CPU
# share, in the `noise` column of newer sweeps) get a "∼" after their number (U+223C: an ASCII
# tilde is an enhanced-text operator, and `with labels` ignores noenhanced).
has_noise = strstrt(hdr_, ",noise,") > 0
noisy(x) = column("cv") > 0.10 ? 1 : has_noise ? strlen(strcol("noise")) > 0 : 0
stats data using (@head && column("speedup") > 0 ? noisy(0) : 0) nooutput
n_noisy = STATS_sum

kinds_text = ""
do for [k = 1:nkinds] { kinds_text = kinds_text . (k > 1 ? " vs " : "") . K_lab[k] }
same_n = 1
do for [k = 2:nkinds] { same_n = same_n && K_n[k] == K_n[1] }
chart_title = sprintf("Speed-up over %s (the serial reference)%s: %s work", ref_name, \
    same_n ? sprintf(", %d tasks per model", K_n[1]) : "", kinds_text)
eval heading
set ylabel sprintf("speed-up over %s (×, log scale; higher is faster)", ref_name) noenhanced
set xlabel "workload" offset 0, -1.6
set logscale y 2
set yrange [floor_:top * 2.2]
x_max = G_x[ngroups] + 0.6
set xrange [0.4:x_max]
set ytics ("0.125×" 0.125, "0.25×" 0.25, "0.5×" 0.5, "1×" 1, "2×" 2, "4×" 4, "8×" 8, "16×" 16, "32×" 32, "64×" 64, "128×" 128, "256×" 256)
set xtics () scale 0 noenhanced
# A group's label: its workload, with its params only when another group has the same
# workload (report.md's tables give every cell's params).
do for [g = 1:ngroups] {
    dup = 0
    do for [h = 1:ngroups] { if (h != g && G_w[h] eq G_w[g]) { dup = 1 } }
    set xtics add (sprintf("%s\n(%s)%s", dup ? group_name(g) : G_w[g], G_lab[g], G_sid[g] > 0 && G_tasks[g] > 0 ? "\n" . fmt_time(G_sid[g] / G_tasks[g]) . " a task" : "") G_x[g])
}
# Wider with more groups, so bars and labels keep their size.
chart_w = ngroups > 4 ? 1200 + 200 * (ngroups - 4) : 1200
set grid noxtics

# Each kind: its area (half the gap on each side), a separator, its heading and its limit.
k_left(k) = k == 1 ? 0.4 : K_from[k] - 1
k_right(k) = k == nkinds ? x_max : K_to[k] + 1
do for [k = 1:nkinds] {
    if (k > 1) {
        eval sprintf('set arrow %d from %g, graph 0 to %g, graph 1 nohead lc rgb "#999999" dt 1 lw 1', 10 + k, k_left(k), k_left(k))
    }
    lim = K_lim[k]
    all_at_once = K_n[k] > 0 && abs(lim - K_n[k]) < 0.01 * K_n[k]
    by_cores = !all_at_once && cores > 0 && abs(lim - cores) < 0.01 * cores
    ktext = K_lab[k] . sprintf(": %d tasks, %d at once", K_n[k], K_j[k]) . (by_cores ? sprintf(" (%d cores)", cores) : "")
    eval sprintf('set label %d ktext at %g, top * 1.75 center noenhanced font ",12"', 10 + k, (k_left(k) + k_right(k)) / 2)
    if (lim > 0) {
        eval sprintf('set arrow %d from %g, %g to %g, %g nohead lt 99 dt 2 back', 30 + k, k_left(k), lim, k_right(k), lim)
        lim_text = all_at_once ? sprintf("%g× = all %d\ntasks at once", lim, K_n[k]) : \
                   by_cores ? sprintf("%g× = %d cores:\nthe CPU limit", lim, cores) : sprintf("%.3g× = the ideal", lim)
        if (k == 1) {
            eval sprintf('set label %d lim_text at %g, %g right font ",10" tc rgb "#404040"', 30 + k, k_right(k) - 0.03, lim * 1.25)
        } else {
            eval sprintf('set label %d lim_text at %g, %g left font ",10" tc rgb "#404040"', 30 + k, k_left(k) + 0.03, lim * 1.3)
        }
    }
}
set arrow 2 from 0.4, 1 to x_max, 1 nohead lt 99 dt 1 lw 2 back
set label 3 sprintf("1× = no gain\nover %s", ref_name) at (nkinds > 1 ? k_right(1) : x_max) - 0.03, 0.86 right noenhanced font ",10" tc rgb "#404040"
do for [g = 1:ngroups] {
    if (G_n[g] == 0) {
        eval sprintf('set label %d "not measured\nin this run" at %g, 1.5 center font ",11" tc rgb "#808080"', 50 + g, G_x[g])
    }
}

set label 6 sprintf("Bars start at 1×: up means faster than %s, down means slower. Whiskers: slowest to fastest run; the number is the median.%s", ref_name, \
    n_noisy > 0 ? "\n∼ after the number: noisy runs (CV above 10 %, outliers, two clumps or a low CPU share; report.md says which)." : "") \
    at screen 0.5, screen (n_noisy > 0 ? 0.035 : 0.02) center noenhanced font ",10" tc rgb "#404040"
if (busy_share < 0.8) {
    set label 7 sprintf("The machine was busy: %s got %.0f %% of a core on the work that computes,\nso those speed-ups understate what the models can do.", ref_name, busy_share * 100) \
        at (nkinds > 1 ? (k_left(2) + x_max) / 2 : x_max / 2), top * 1.05 center noenhanced font ",10" tc rgb "#c00000"
}
set key at screen 0.5, screen 0.075 center horizontal samplen 1.5 width 1 height 0.5 maxrows 1 noenhanced
set bmargin 10
set style fill solid 0.9 border lc rgb "#303030"

do for [k = 1:2] {
    eval set_term(k)
    plot for [i = 1:nmodels] data using (xpos(i)):(spd(i)):(xpos(i) - bw / 2):(xpos(i) + bw / 2):(sp < 1 ? sp : 1):(sp < 1 ? 1 : sp) \
             with boxxyerror lt i title M_name[i], \
         for [i = 1:nmodels] data using (xpos(i)):(spd(i)):(sp_lo(i)):(sp_hi(i)) \
             with yerrorbars lc rgb "#202020" lw 1.2 dt solid pt 0 notitle, \
         for [i = 1:nmodels] data using (xpos(i)):(spd(i), sp >= 1 ? (sp_hi(i) > sp ? sp_hi(i) : sp) * 1.12 : (sp_lo(i) < sp ? sp_lo(i) : sp) / 1.12):(spd(i) == spd(i) ? sprintf("%.1f%s", sp, noisy(0) ? "∼" : "") : "") \
             with labels font ",8" tc rgb "#202020" notitle, \
         for [i = 1:nmodels] data using (xpos(i)):(mine(i) ? floor_ * 1.06 : NaN):(M_name[i]) \
             with labels rotate by 90 left noenhanced font ",8" tc rgb "#202020" notitle
}
set output
