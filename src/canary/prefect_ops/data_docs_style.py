"""The stylesheet of canary's Data Docs pages, served beside them so they render offline.

GE's page templates load Bootstrap and its plugins from CDNs; canary drops those links and
styles the classes GE's validation pages use with this sheet instead.
"""

FILE_NAME = "canary-data-docs.css"

CSS = """\
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #212529; background: #fff; }
a { color: #0056b3; text-decoration: none; } a:hover { text-decoration: underline; }
h1, h2, h3, h4, h5, h6, .h6 { margin: 0 0 .5rem; font-weight: 600; line-height: 1.2; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.5rem; } h3 { font-size: 1.25rem; }
h4 { font-size: 1.1rem; } h5, h6, .h6 { font-size: 1rem; }
ul, ol { margin-top: 0; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { white-space: pre-wrap; }
.container-fluid { width: 100%; padding: 0 15px; }
.row { display: flex; flex-wrap: wrap; margin: 0 -15px; }
[class^="col"], [class*=" col"] { position: relative; width: 100%; padding: 0 15px; }
@media (min-width: 768px) {
  .col-md-2 { flex: 0 0 16.67%; max-width: 16.67%; } .col-md-3 { flex: 0 0 25%; max-width: 25%; }
  .col-md-4 { flex: 0 0 33.33%; max-width: 33.33%; } .col-md-6 { flex: 0 0 50%; max-width: 50%; }
  .col-md-8 { flex: 0 0 66.67%; max-width: 66.67%; } .col-md-9 { flex: 0 0 75%; max-width: 75%; }
  .col-md-10 { flex: 0 0 83.33%; max-width: 83.33%; }
  .d-md-inline-flex { display: inline-flex !important; }
  .pl-md-4 { padding-left: 1.5rem !important; } .pr-md-3 { padding-right: 1rem !important; }
}
.col-12 { flex: 0 0 100%; max-width: 100%; }
.navbar { display: flex; align-items: center; padding: .5rem 1rem; background: #fff; }
.sticky-top, .sticky { position: sticky; top: 0; z-index: 1020; }
.border-bottom { border-bottom: 1px solid #dee2e6; }
.navbar-brand { font-size: 1.25rem; font-weight: 600; }
.canary-home { color: #212529; }
.breadcrumb { display: flex; list-style: none; padding: .5rem 1rem; border-radius: .25rem; }
.breadcrumb-item + .breadcrumb-item::before { content: "/"; padding: 0 .5rem; color: #6c757d; }
.nav { display: flex; flex-wrap: wrap; list-style: none; padding-left: 0; margin: 0; }
.nav-pills { flex-direction: column; }
.nav-link { display: block; padding: .3rem .75rem; border-radius: .25rem; }
.nav-link.active { background: #0056b3; color: #fff; }
.card { position: relative; display: flex; flex-direction: column; margin-bottom: 1rem;
  border: 1px solid rgba(0, 0, 0, .125); border-radius: .25rem; background: #fff; }
.card-header { padding: .6rem 1rem; background: rgba(0, 0, 0, .03);
  border-bottom: 1px solid rgba(0, 0, 0, .125); }
.card-body { padding: 1rem; }
.table { width: 100%; margin-bottom: 1rem; border-collapse: collapse; }
.table th, .table td { padding: .5rem; vertical-align: top; border-top: 1px solid #dee2e6;
  text-align: left; }
.table thead th { border-bottom: 2px solid #dee2e6; }
.table-sm th, .table-sm td { padding: .3rem; }
.table-responsive { display: block; width: 100%; overflow-x: auto; }
.alert { padding: .6rem 1rem; margin-bottom: 1rem; border: 1px solid transparent;
  border-radius: .25rem; }
.alert-secondary { color: #383d41; background: #e2e3e5; border-color: #d6d8db; }
.badge { display: inline-block; padding: .25em .5em; font-size: 80%; font-weight: 600;
  border-radius: .25rem; color: #fff; background: #6c757d; }
.badge-secondary { background: #6c757d; } .badge-info { background: #17a2b8; }
.btn { display: inline-block; padding: .3rem .75rem; border: 1px solid transparent;
  border-radius: .25rem; cursor: pointer; }
.btn-primary { color: #fff; background: #0056b3; }
.text-success { color: #28a745; } .text-danger { color: #dc3545; }
.text-muted { color: #6c757d; } .bg-light { background: #f8f9fa; }
.rounded { border-radius: .25rem; }
.d-none { display: none; } .d-flex { display: flex; } .align-items-center { align-items: center; }
.float-left { float: left; } .mr-auto { margin-right: auto; }
.modal, .collapse:not(.show), .ge-walkthrough-modal { display: none; }
.fas, .fa { font-style: normal; } .fa-check-circle::before { content: "\\2714"; }
.fa-times::before { content: "\\2716"; color: #dc3545; }
.m-0 { margin: 0 !important; } .m-2 { margin: .5rem !important; }
.mt-0 { margin-top: 0 !important; } .mt-1 { margin-top: .25rem !important; }
.mb-0 { margin-bottom: 0 !important; } .mb-1 { margin-bottom: .25rem !important; }
.mb-2 { margin-bottom: .5rem !important; } .mb-3 { margin-bottom: 1rem !important; }
.mb-4 { margin-bottom: 1.5rem !important; } .ml-1 { margin-left: .25rem !important; }
.ml-2 { margin-left: .5rem !important; } .mr-0 { margin-right: 0 !important; }
.mr-2 { margin-right: .5rem !important; }
.p-0 { padding: 0 !important; } .p-1 { padding: .25rem !important; }
.p-2 { padding: .5rem !important; } .p-3 { padding: 1rem !important; }
.px-0 { padding-left: 0 !important; padding-right: 0 !important; }
.pt-0 { padding-top: 0 !important; } .pt-4 { padding-top: 1.5rem !important; }
.pb-0 { padding-bottom: 0 !important; } .pb-1 { padding-bottom: .25rem !important; }
.pb-4 { padding-bottom: 1.5rem !important; } .pl-5 { padding-left: 3rem !important; }
.pr-5 { padding-right: 3rem !important; }
@media (min-width: 576px) { .pl-sm-3 { padding-left: 1rem !important; } }
.canary-counts { margin: .5rem 0 1rem; font-size: 1.05rem; }
.canary-index td:nth-child(2) { white-space: nowrap; }
"""
