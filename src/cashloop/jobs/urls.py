"""Job page URLs: the list, the page, the status fragment it polls, and the files a job produced."""

from django.urls import path

from cashloop.jobs import views

urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:job_id>/", views.job_page, name="job_page"),
    path("jobs/<int:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<int:job_id>/files/<slug:purpose>/", views.job_file_download, name="job_file"),
]
