# Reference values for tests/solver, produced with Debian's R and r-cran-metafor (3.8-1 when committed).
# The tests compare against the committed *.tsv files and never run R themselves.
#
#   cd tests/solver/reference && Rscript make_reference.R
#
# Writes:
#   meta_estimates.tsv   input for `causeway meta` (group estimate se): dat.bcg log risk ratios and
#                        simulated groups (zero heterogeneity, k = 2, one tiny se, strong heterogeneity)
#   metafor_rma.tsv      rma() results for every group, method (DL REML PM ML) and test (z, knha)
#   distributions.tsv    pnorm / qnorm / pt / qt / pchisq at chosen points
#   r_rnorm.tsv          set.seed(314159265); rnorm(20), R's default Mersenne-Twister + Inversion
#   mr_effects.tsv       input for `causeway mr` (simulated two-sample summary data, three regions)
#   mr_lm.tsv            IVW and MR-Egger by base R lm() as MendelianRandomization computes them
#   mr_median.tsv        weighted median and its bootstrap se (R's RNG, the package's algorithm)
suppressMessages(library(metafor))
options(digits = 17)

fmt <- function(x) ifelse(is.na(x), "NA", trimws(formatC(x, digits = 17, format = "g")))
write_tsv <- function(df, path) {
    out <- df
    for (name in names(out)) if (is.numeric(out[[name]])) out[[name]] <- fmt(out[[name]])
    write.table(out, path, sep = "\t", quote = FALSE, row.names = FALSE)
}

## ---------------------------------------------------------------- meta-analysis
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
groups <- list(bcg = data.frame(y = as.numeric(dat$yi), se = sqrt(as.numeric(dat$vi))))

set.seed(20240501)
# Zero heterogeneity: estimates closer together than their standard errors imply (tau2 truncated at 0).
se <- runif(8, 0.1, 0.3)
groups$homogeneous <- data.frame(y = 0.4 + rnorm(8, 0, se * 0.3), se = se)
# Two studies.
groups$two <- data.frame(y = c(0.31, 0.92), se = c(0.12, 0.2))
# One study with a tiny standard error among ordinary ones.
se <- c(runif(9, 0.05, 0.4), 1e-7)
groups$tiny_se <- data.frame(y = 1.1 + rnorm(10, 0, sqrt(se^2 + 0.04)), se = se)
# Strong heterogeneity, many studies.
se <- runif(36, 0.02, 0.5)
groups$heterogeneous <- data.frame(y = rnorm(36, -0.3, sqrt(se^2 + 0.25)), se = se)

estimates <- do.call(rbind, lapply(names(groups), function(g)
    data.frame(group = g, estimate = groups[[g]]$y, se = groups[[g]]$se)))
write_tsv(estimates, "meta_estimates.tsv")

# Tight convergence so the comparison measures our error, not metafor's stopping rule.
ctrl <- list(threshold = 1e-13, maxiter = 10000, tol = 1e-14)
rows <- list()
for (g in names(groups)) {
    for (method in c("DL", "REML", "PM", "ML")) {
        for (test in c("z", "knha")) {
            fit <- rma(yi = groups[[g]]$y, sei = groups[[g]]$se, method = method, test = test, control = ctrl)
            pr <- predict(fit)
            rows[[length(rows) + 1]] <- data.frame(
                group = g, method = if (test == "knha") paste0(method, "_HK") else method,
                mu = as.numeric(fit$beta), se = fit$se, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
                tau2 = fit$tau2, i2 = fit$I2, q = fit$QE, q_pvalue = fit$QEp, k = fit$k,
                tau = sqrt(fit$tau2), pi_low = pr$pi.lb, pi_high = pr$pi.ub)
        }
    }
}
write_tsv(do.call(rbind, rows), "metafor_rma.tsv")

## ---------------------------------------------------------------- distributions
z <- c(-40, -9, -3.5, -1.96, -0.3, 0, 0.7, 2.5, 8.2)
p <- c(1e-300, 1e-20, 1e-9, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999)
tq <- c(0.2, 1.5, 2.7, 6.3, 25, 80)
df <- c(1, 2, 3, 7.5, 30, 2998)
x2 <- c(0.001, 0.7, 3, 12, 152.233, 400, 3500)
dist <- rbind(
    data.frame(fn = "pnorm", a = z, b = NA, value = pnorm(z)),
    data.frame(fn = "qnorm", a = p, b = NA, value = qnorm(p)),
    do.call(rbind, lapply(df, function(d) data.frame(fn = "pt2", a = tq, b = d, value = 2 * pt(-tq, d)))),
    do.call(rbind, lapply(df, function(d) data.frame(fn = "qt", a = c(0.6, 0.975, 0.9995), b = d,
                                                     value = qt(c(0.6, 0.975, 0.9995), d)))),
    do.call(rbind, lapply(c(1, 2, 5, 12, 35, 2998), function(d)
        data.frame(fn = "pchisq_upper", a = x2, b = d, value = pchisq(x2, d, lower.tail = FALSE)))))
write_tsv(dist, "distributions.tsv")

## ---------------------------------------------------------------- R's random numbers
set.seed(314159265)
write_tsv(data.frame(i = 1:20, value = rnorm(20)), "r_rnorm.tsv")

## ---------------------------------------------------------------- Mendelian randomisation
set.seed(7)
make_region <- function(name, n, beta, pleiotropy) {
    bx <- rnorm(n, 0, 0.15)
    bxse <- runif(n, 0.01, 0.03)
    byse <- runif(n, 0.01, 0.05)
    by <- beta * bx + rnorm(n, pleiotropy, byse * 1.6)
    data.frame(region = name, variant = paste0(name, "_v", seq_len(n)), beta_exposure = bx,
               se_exposure = bxse, beta_outcome = by, se_outcome = byse)
}
effects <- rbind(make_region("r1", 25, 0.8, 0.0), make_region("r2", 6, -0.4, 0.01),
                 make_region("r3", 3, 1.3, 0.0))
write_tsv(effects, "mr_effects.tsv")

# IVW and MR-Egger exactly as MendelianRandomization (0.5 to 0.10) computes them with its defaults.
mr_rows <- list()
for (name in unique(effects$region)) {
    d <- effects[effects$region == name, ]
    Bx <- d$beta_exposure; By <- d$beta_outcome; Byse <- d$se_outcome
    n <- length(Bx)
    s <- summary(lm(By ~ Bx - 1, weights = Byse^-2))
    for (model in c("fixed", "random")) {
        se <- if (model == "random") s$coef[1, 2] / min(s$sigma, 1) else s$coef[1, 2] / s$sigma
        est <- s$coef[1, 1]
        mr_rows[[length(mr_rows) + 1]] <- data.frame(
            region = name, method = paste0("IVW_", model), estimate = est, se = se,
            pvalue_normal = 2 * pnorm(-abs(est / se)), pvalue_t = 2 * pt(-abs(est / se), df = n - 1),
            intercept = NA, intercept_se = NA, intercept_pvalue_normal = NA, intercept_pvalue_t = NA)
    }
    Bo <- sign(Bx) * By; Bxo <- abs(Bx)
    s <- summary(lm(Bo ~ Bxo, weights = Byse^-2))
    rse <- s$sigma
    est <- s$coef[2, 1]; se <- s$coef[2, 2] / min(rse, 1)
    int <- s$coef[1, 1]; int_se <- s$coef[1, 2] / min(rse, 1)
    # The package writes 2 * (1 - pt(...)), which loses every digit below 1e-16; the tail itself here.
    p_t <- function(b, b_se) if (rse < 1) max(2 * pnorm(-abs(b / b_se)), 2 * pt(-abs(b / b_se / rse), df = n - 2)) else 2 * pt(-abs(b / b_se), df = n - 2)
    mr_rows[[length(mr_rows) + 1]] <- data.frame(
        region = name, method = "Egger", estimate = est, se = se,
        pvalue_normal = 2 * pnorm(-abs(est / se)), pvalue_t = p_t(est, se),
        intercept = int, intercept_se = int_se, intercept_pvalue_normal = 2 * pnorm(-abs(int / int_se)),
        intercept_pvalue_t = p_t(int, int_se))
}
write_tsv(do.call(rbind, mr_rows), "mr_lm.tsv")

# The weighted median as the package documents it: ratio estimates sorted, cumulative weights less half
# the variant's own weight, linear interpolation at 0.5; bootstrap se from rnorm() draws of every
# association (all exposure draws first, then all outcome draws) with the weights held fixed.
wmedian <- function(theta, w) {
    o <- order(theta)
    theta <- theta[o]; w <- w[o]
    p <- (cumsum(w) - 0.5 * w) / sum(w)
    k <- max(which(p < 0.5))
    theta[k] + (theta[k + 1] - theta[k]) * (0.5 - p[k]) / (p[k + 1] - p[k])
}
med_rows <- list()
for (name in unique(effects$region)) {
    d <- effects[effects$region == name, ]
    w <- (d$beta_exposure / d$se_outcome)^2
    est <- wmedian(d$beta_outcome / d$beta_exposure, w)
    for (iterations in c(1000, 10000)) {
        set.seed(314159265)
        boot <- numeric(iterations)
        for (i in seq_len(iterations)) {
            bx <- rnorm(nrow(d), d$beta_exposure, d$se_exposure)
            by <- rnorm(nrow(d), d$beta_outcome, d$se_outcome)
            boot[i] <- wmedian(by / bx, w)
        }
        med_rows[[length(med_rows) + 1]] <- data.frame(region = name, iterations = iterations,
                                                       estimate = est, se = sd(boot))
    }
}
write_tsv(do.call(rbind, med_rows), "mr_median.tsv")
