from fly_cluster_lint.cli import run

run()
